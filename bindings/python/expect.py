"""Exact failures for the Python binding tests: a BlindpostError variant and its kind.

Every variant but Randomness and RequestTooLarge carries a `kind`. DecodeErrorKind is a plain
enum (`bp.DecodeErrorKind.TRUNCATED`); the other kinds carry fields, so each kind is a class
(`bp.GroupErrorKind.REVOKED`) whose instances hold them.
"""

import enum
import unittest

import blindpost as bp


def kind_name(kind):
    """The kind's variant name as uniffi spells it: `TRUNCATED`, `WRONG_GENERATION`."""
    if isinstance(kind, enum.Enum):
        return kind.name
    return type(kind).__name__.rsplit(".", 1)[-1]


def vector_name(kind):
    """The kind's name as the vector files write it (SPEC 2.7): `truncated`, `wrong_generation`."""
    return kind_name(kind).lower()


def is_kind(kind, expected):
    """Whether `kind` is `expected` (an enum member, or a kind's variant class)."""
    if isinstance(expected, type):
        return isinstance(kind, expected)
    return kind == expected


class ErrorAssertions(unittest.TestCase):
    """A TestCase with `rejects`: the call must raise exactly this variant (and kind)."""

    def rejects(self, call, variant=bp.BlindpostError, kind=None, field=None):
        with self.assertRaises(variant) as cm:
            call()
        e = cm.exception
        self.assertIsInstance(e, bp.BlindpostError)
        self.assertTrue(str(e))
        self.assertTrue(e.reason)
        if kind is not None:
            self.assertTrue(is_kind(e.kind, kind), f"expected kind {kind}, got {e.kind}: {e}")
        if field is not None:
            self.assertEqual(e.field, field)
        return e
