"""The ``itsm-diag`` console script and ``python -m itsm_diag``.

``itsm-diag signs`` is answered here from the rule files' titles, before the command
line (typer) or the rule models (pydantic) are imported: a listing should cost what the
interpreter costs. Everything else goes to :func:`itsm_diag.cli.main`.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run one ``itsm-diag`` command."""
    if sys.argv[1:] == ["signs"]:
        from itsm_diag.rulefiles import print_titles

        try:
            done = print_titles()  # else the rule files need the validated load to say why
            sys.stdout.flush()
        except BrokenPipeError:  # the reader left (| head): a normal end
            from itsm_diag.text import silence_stdout

            silence_stdout()
            return
        if done:
            return
    from itsm_diag.cli import main as run

    run()


if __name__ == "__main__":
    main()
