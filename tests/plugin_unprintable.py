"""A plugin module whose import raises an exception that cannot be printed
(`test_plugins`): formatting it made every command an internal error."""


class Unprintable(Exception):
    def __str__(self) -> str:
        raise ValueError("no words")


raise Unprintable
