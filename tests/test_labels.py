"""Human labels for metric keys, hyperparameters and grid configuration ids."""

from dlhw.grid.spec import GridSpec
from dlhw.labels import axis_label, config_label, humanize, metric_label, settings_text


def test_metric_labels():
    assert metric_label("dev_accuracy") == "validation accuracy"
    assert (metric_label("max_abs_error_closed_form_vs_general")
            == "largest error, closed form vs general algorithm")
    assert humanize("final_dev_rmse") == "final validation RMSE"
    assert axis_label("distance_to_analytic").startswith("$")


def test_config_ids_read_as_settings():
    spec = GridSpec(base={"epochs": 2}, axes={"hidden_size": (100,), "lr": (0.001,), "optimizer": ("adam",)})
    (config,) = spec.expand()
    assert config_label(config.id) == "hidden units 100, learning rate 0.001, optimiser adam"
    assert config_label("lr=0.001-3a3e63ea") == "learning rate 0.001"
    assert config_label("variant=lr=0.1-3a3e63ea") == "learning rate 0.1"  # q4.2: one axis "variant"
    assert config_label("variant=hidden-size=100-2db29033") == "hidden units 100"
    assert config_label("variant=default-9fbc1ea9") == "variant default"
    assert config_label("hw2122.q3.1a") == "hw2122.q3.1a"  # not an id: unchanged
    assert settings_text({"lr": 1e-05, "l2": 0.0,
                          "dropout": 0.3}) == "learning rate 1e-05, L2 penalty 0, dropout 0.3"
