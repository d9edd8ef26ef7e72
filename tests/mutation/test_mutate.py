"""Every mutant of tests/mutation/mutate.py still applies: `make mutate` stops at the first one whose text has moved."""

import pytest

from tests.mutation.mutate import MUTANTS, REPO


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_applies_to_its_file(mutant):
    source = (REPO / mutant.file).read_text(encoding="utf-8")
    assert source.count(mutant.old) == 1, f"the text to change is not found exactly once in {mutant.file}"
    assert mutant.new != mutant.old
    assert all((REPO / test).is_file() for test in mutant.tests), "a test file it runs is gone"


def test_mutant_names_are_unique():
    names = [m.name for m in MUTANTS]
    assert len(names) == len(set(names))
