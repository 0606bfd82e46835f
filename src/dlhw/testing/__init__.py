"""Helpers shared by the tests and the numerical checks of the written answers."""
