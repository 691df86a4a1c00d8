"""The `catdog` command: a Click group whose subcommands live in the subpackages."""

from __future__ import annotations

import logging

import click

import catdog
from catdog.classify.cli import commands as classify_commands
from catdog.errors import CatdogError
from catdog.gan.cli import commands as gan_commands
from catdog.preprocess.cli import commands as preprocess_commands


class UserError(click.ClickException):
    """A `CatdogError` shown as "Error: <message>" with exit code 2 and no traceback."""

    exit_code = 2


class CatdogGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CatdogError as error:
            raise UserError(str(error)) from None


def configure_logging(verbosity: int) -> None:
    level = logging.DEBUG if verbosity > 0 else logging.INFO
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s" if verbosity == 0 else "%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("catdog")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


@click.group(cls=CatdogGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(catdog.__version__, prog_name="catdog")
@click.option("-v", "--verbose", count=True, help="Show debug messages, such as each file decoded with a warning.")
def cli(verbose: int) -> None:
    """Experiments on the Kaggle Cats and Dogs dataset (PetImages/Cat, PetImages/Dog).

    \b
    A typical session:
      catdog fetch-data --dest .            # or unzip the archive by hand
      catdog clean-data ./PetImages         # move undecodable files to PetImages/Trash/
      catdog cv --model cnn --epochs 30,60 --batch 32,64
      catdog gan --loss mse --epochs 100
    """
    configure_logging(verbose)


for command in (*preprocess_commands, *classify_commands, *gan_commands):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="catdog")
