"""Reviewing a grants change without credentials: what the program would register, and what a change does.

`snapshot`, `render` and `diff` are pure: they turn recorded registrations into text and JSON, and
compare two of them. `runner` is the one module that runs the real program (under Pulumi's mock
runtime) and reads files from git.
"""
