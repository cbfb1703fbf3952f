"""`python -m cross_account_s3 ...`: the review commands (see `cli.py`)."""

from cross_account_s3.cli import main

if __name__ == "__main__":
    main(prog_name="./run")
