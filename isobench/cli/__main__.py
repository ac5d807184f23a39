"""`python -m isobench.cli`."""

from isobench.cli import main

main()
