"""Click options and helpers shared by the catdog subcommands."""

from __future__ import annotations

import click

from catdog.config import parse_int_list


def int_list_option(value_text: str | None) -> list[int] | None:
    """Click callback body: turn "30" or "30,60" into a list of positive integers."""
    if value_text is None:
        return None
    try:
        return parse_int_list(value_text)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def int_list_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> list[int] | None:
    return int_list_option(value)


data_option = click.option(
    "--data",
    "data",
    type=click.Path(file_okay=True, dir_okay=True, path_type=str),
    default=None,
    help="Dataset folder with one subfolder per class (Cat/, Dog/). Defaults to ./PetImages.",
)
seed_option = click.option(
    "--seed", type=int, default=None, help="Random seed of the run: weight initialisation, shuffling, and the folds (cv) or the noise (gan). Defaults to 123."
)
out_option = click.option(
    "--out", type=click.Path(file_okay=False, path_type=str), default=None, help="Parent folder of run directories. Defaults to runs/."
)
config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    help="TOML file of settings (see configs/); options given on the command line override it.",
)
