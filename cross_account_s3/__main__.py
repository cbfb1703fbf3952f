"""`python -m cross_account_s3 ...`: the review commands (see `cli.py`)."""

if __name__ == "__main__":
    try:
        from cross_account_s3.cli import main
        from cross_account_s3.infra.offline_runner import release_event_loops
    except KeyboardInterrupt:  # Ctrl-C while the modules load: as the commands end it (cli.INTERRUPTED), quietly
        raise SystemExit(130) from None
    try:
        main(prog_name="./run")
    finally:
        release_event_loops()  # else a clean run may print a traceback from an event loop at exit
