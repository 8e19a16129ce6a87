"""Tests of the line-keeping YAML reader, with the C loader and with the pure-Python one."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from orsync import yamlsource
from orsync.errors import ConfigError
from orsync.yaml_lines import Located, format_path
from orsync.yamlsource import load_located

LOADERS = [yaml.SafeLoader, *([yaml.CSafeLoader] if hasattr(yaml, "CSafeLoader") else [])]


@pytest.fixture(autouse=True, params=LOADERS, ids=lambda loader: loader.__name__)
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test with each loader PyYAML offers here."""
    monkeypatch.setattr(yamlsource, "_LOADER", request.param)


def located(text: str) -> Located:
    result = load_located(textwrap.dedent(text).lstrip("\n"), "f.yaml")
    assert result is not None
    return result


def error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_located(textwrap.dedent(text).lstrip("\n"), "f.yaml")
    return info.value


def test_values_and_the_line_of_every_key_and_item() -> None:
    doc = located(
        """
        version: 1
        destinations:
          - name: a
            sampling_rate: 0.5
            enabled: yes
            id: ~
          - {name: b, regions: [us, europe]}
        """
    )
    assert doc.value == {
        "version": 1,
        "destinations": [
            {"name": "a", "sampling_rate": 0.5, "enabled": True, "id": None},
            {"name": "b", "regions": ["us", "europe"]},
        ],
    }
    assert doc.lines.lines == {
        (): 1,
        ("version",): 1,
        ("destinations",): 2,
        ("destinations", 0): 3,
        ("destinations", 0, "name"): 3,
        ("destinations", 0, "sampling_rate"): 4,
        ("destinations", 0, "enabled"): 5,
        ("destinations", 0, "id"): 6,
        ("destinations", 1): 7,
        ("destinations", 1, "name"): 7,
        ("destinations", 1, "regions"): 7,
        ("destinations", 1, "regions", 0): 7,
        ("destinations", 1, "regions", 1): 7,
    }


def test_line_of_a_path_without_one_is_its_nearest_ancestors() -> None:
    doc = located("a:\n  b:\n    c: 1\n")
    assert doc.lines.line(("a", "b", "missing", 0)) == 2


def test_timestamps_stay_text() -> None:
    assert located("name: 2024-01-01\n").value == {"name": "2024-01-01"}


def test_aliases_and_merge_keys() -> None:
    doc = located(
        """
        common: &common
          enabled: true
          sampling_rate: 0.5
        one:
          <<: *common
          sampling_rate: 1
        list: [*common]
        """
    )
    assert doc.value["one"] == {"sampling_rate": 1, "enabled": True}
    assert doc.value["list"] == [{"enabled": True, "sampling_rate": 0.5}]
    # A merged key is located where it is written, an overriding one where it overrides.
    assert doc.lines.line(("one", "enabled")) == 2
    assert doc.lines.line(("one", "sampling_rate")) == 6


def test_empty_document_is_none() -> None:
    assert load_located("# only a comment\n", "f.yaml") is None


def test_duplicate_key_is_an_error_at_the_second() -> None:
    found = error(
        """
        destinations:
          - name: a
            type: webhook
            name: b
        """
    )
    assert (found.line, found.path) == (4, "destinations[0].name")
    assert found.problem == "duplicate key 'name' (first at line 2)"


def test_syntax_error_has_the_line() -> None:
    found = error("a: 1\nb: [1, 2\nc: 3\n")
    assert found.line == 3
    assert found.problem.startswith("invalid YAML: ")


def test_control_character_has_the_line() -> None:
    found = error("a: caf\u00e9\nb: \x01\n")
    assert found.line == 2
    assert found.problem.endswith("characters are not allowed")


def test_two_documents_are_an_error() -> None:
    found = error("a: 1\n---\nb: 2\n")
    assert (found.line, found.problem) == (
        2,
        "invalid YAML: expected a single document in the stream at line 1, "
        "but found another document",
    )


@pytest.mark.parametrize(
    ("text", "line", "path", "problem"),
    [
        ("a: &x [1, *x]\n", 1, "a[1]", "an alias refers to a mapping or list that contains it"),
        ("? [1, 2]\n: x\n", 1, "", "a mapping key must be a single value, not a list or mapping"),
        ("a: !!set {x}\n", 1, "a", "unsupported YAML tag '!!set'"),
        ("a:\n  <<: 1\n", 2, "a", "'<<' merges a mapping or a list of mappings"),
    ],
)
def test_constructs_a_config_has_no_use_for(text: str, line: int, path: str, problem: str) -> None:
    found = error(text)
    assert (found.line, found.path, found.problem) == (line, path, problem)


def test_format_path() -> None:
    assert format_path(("workspaces", 0, "destinations", 2, "config", "apiKey")) == (
        "workspaces[0].destinations[2].config.apiKey"
    )
    assert format_path(()) == ""


@pytest.mark.parametrize(
    "text",
    [
        'a: 1\nb: "pw-\\udcff-rest"\n',
        'a: 1\nb: ["x", "\\ud83d\\ude00"]\n',
        'a: 1\n"\\U0000dcff": x\n',
        'a: 1\nb: !!timestamp "\\udcff"\n',
    ],
    ids=["value", "pair written as two escapes", "key", "text tag"],
)
def test_escaped_surrogate_is_no_text(text: str) -> None:
    # libyaml refuses these; the pure-Python loader makes a string that cannot be encoded,
    # which would fail only when sent.
    found = error(text)
    assert found.line == 2
    if yamlsource._LOADER is yaml.SafeLoader:
        assert found.problem == (
            "an escape such as \\udcff writes half a surrogate pair, which is no character"
        )
    else:
        assert found.problem == (
            "invalid YAML: found invalid Unicode character escape code "
            "(while parsing a quoted scalar at line 2)"
        )


def test_an_alias_is_a_copy_located_where_it_is_written() -> None:
    doc = located(
        """
        hooks: &hooks [a, b]
        again: [*hooks]
        &name name: x
        other: *name
        """
    )
    assert doc.value == {"hooks": ["a", "b"], "again": [["a", "b"]], "name": "x", "other": "name"}
    doc.value["again"][0].append("c")
    assert doc.value["hooks"] == ["a", "b"]  # a copy: changing one changes no other
    assert doc.lines.line(("again", 0)) == 2  # the alias
    assert doc.lines.line(("again", 0, 1)) == 1  # what it copies, where that is written


def test_merged_lists_of_mappings_keep_the_first_value_and_its_line() -> None:
    doc = located(
        """
        a: &a {p: 1, q: 2}
        b: &b {q: 3, r: 4}
        c:
          <<: [*a, *b]
          p: 0
        """
    )
    assert doc.value["c"] == {"p": 0, "q": 2, "r": 4}
    assert [doc.lines.line(("c", key)) for key in ("p", "q", "r")] == [5, 1, 2]


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("a: 1\nb: *x\n", 2, "invalid YAML: found undefined alias"),
        (
            "a: &x 1\nb: &x 2\n",
            2,
            "invalid YAML: second occurrence (found duplicate anchor",
        ),
    ],
)
def test_aliases_that_name_no_value(text: str, line: int, problem: str) -> None:
    found = error(text)
    assert found.line == line
    assert found.problem.startswith(problem)


def test_nesting_too_deep_is_an_error_not_a_crash() -> None:
    found = error("a: " + "[" * 5000 + "]" * 5000 + "\n")
    # libyaml stops it as invalid YAML; the pure-Python parser gets as far as orsync's own limit.
    assert "nest" in found.problem


def test_aliases_that_expand_too_far_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlsource, "_MAX_VALUES", 50)
    found = error("a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: [*a, *a, *a, *a, *a]\n")
    assert found.problem == "the document expands to over 50 values"
    assert (found.line, found.path) == (2, "b[3]")
