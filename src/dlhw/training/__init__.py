"""The training protocol shared by every model: epochs, best-validation checkpoint, history, plots."""
