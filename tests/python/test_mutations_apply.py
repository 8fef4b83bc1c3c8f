"""The mutation script's mutations still fit the code: each one's text occurs in its file as
often as the mutation says (`make test-mutation` stops at the first that does not — at the
end of CI; this says so in seconds), and the SUITE it runs names tests that exist."""

from __future__ import annotations

import mutation_test
import pytest

from _repo import REPO_ROOT


@pytest.mark.parametrize("mutation", mutation_test.MUTATIONS, ids=lambda m: m.name)
def test_the_mutation_applies_to_the_code(mutation: mutation_test.Mutation) -> None:
    text = (REPO_ROOT / mutation.path).read_text(encoding="utf-8")
    assert text.count(mutation.old) == mutation.count
    assert mutation.new != mutation.old


def test_the_suite_names_existing_tests() -> None:
    for target in mutation_test.SUITE:
        path, _, name = target.partition("::")
        source = (REPO_ROOT / path).read_text(encoding="utf-8")
        assert not name or f"def {name}(" in source, target
    assert len({m.name for m in mutation_test.MUTATIONS}) == len(mutation_test.MUTATIONS)
