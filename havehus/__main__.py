"""`python -m havehus` runs the havehus command."""

from havehus.cli import main

main()
