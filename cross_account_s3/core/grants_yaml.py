"""What a grants file may hold as YAML, beyond what parses, and how a file that breaks it is mended.

Every key of a grants file is a name (JSON, and so every AWS policy, has no other kind of key), it needs
no YAML tag, a merge key (`<<`) merges mappings, and every value must build. YAML 1.1 breaks these
quietly: `Null:` (IAM's condition operator) is null, `1:` and `true:` are one Python key, `!foo` stops
the building. The walk over a composed document (`yaml_source`) asks these rules of a grants file: each
breach is reported at its line, and the node is mended (a key to its text, a tag dropped, a merge's
other items left out) so that the file is still built and validated, and every problem is reported at
once. A stack file, which Pulumi reads as YAML 1.2 (where `on:` is text), is read without them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import yaml

from .yaml_source import MERGE_TAG, TEXT_TAG, PathKey, is_text

Note = Callable[[str, str], None]  # (message, fix) at the node being checked

# What YAML 1.1 makes of an unquoted key that is not text; pydantic would only say "Keys should be
# strings", at the wrong line. A key with any other tag (`!foo`, `!!set`) is reported as tagged.
_KEY_READINGS = {
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "a boolean (true or false)",
    "tag:yaml.org,2002:null": "null (no value)",
    "tag:yaml.org,2002:timestamp": "a date",
    "tag:yaml.org,2002:binary": "binary data",
}
_STANDARD_TAG = "tag:yaml.org,2002:"
_VALUE_TAG = "tag:yaml.org,2002:value"  # `=`
# What each kind of node is built as untagged. A grants file needs no written tag but `!!str`: any other
# (`!foo`, `!!seq` on a mapping, `!!int abc`, `!!set`) would stop the building, or build something no
# field takes, so it is reported and dropped.
_PLAIN_TAGS = {
    yaml.ScalarNode: TEXT_TAG,
    yaml.SequenceNode: "tag:yaml.org,2002:seq",
    yaml.MappingNode: "tag:yaml.org,2002:map",
}
_RESOLVER = yaml.resolver.Resolver()  # the safe schema's implicit tags, to tell a tag written from one implied


def _built_value(node: yaml.MappingNode, key: str, memo: dict[int, yaml.Node | None]) -> yaml.Node | None:
    """The node PyYAML builds `key`'s value from: the mapping's own key, else what it merges in with `<<`,
    a later `<<` over an earlier one and, of a list of mappings, the first. `memo` keeps it linear in the
    mappings, however often aliases reuse them, and ends a mapping that merges itself."""
    if id(node) in memo:
        return memo[id(node)]
    memo[id(node)] = None
    own = [value for name, value in node.value if name.tag == TEXT_TAG and name.value == key]
    found = own[-1] if own else None
    for name, value in reversed(node.value if found is None else []):
        sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
        for source in sources if name.tag == MERGE_TAG else []:
            if found is None and isinstance(source, yaml.MappingNode):
                found = _built_value(source, key, memo)
    memo[id(node)] = found
    return found


def _key_reading(key_node: yaml.Node) -> str | None:
    """What YAML reads a mapping key as when that is not text, or None for a text key."""
    if isinstance(key_node, yaml.MappingNode):
        return "a mapping"
    if isinstance(key_node, yaml.SequenceNode):
        return "a list"
    return _KEY_READINGS.get(key_node.tag)


def _tag_written(node: yaml.Node) -> bool:
    """Whether a node's tag was written (`!!int '7'`, `!foo`) rather than implied. `!!int 7` is the same node
    as `7`, and counts as implied."""
    return node.tag != _implied_tag(node)


_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_INT_TAG = "tag:yaml.org,2002:int"
_PYTHON_DIGITS = 4_300  # Python refuses to read a longer number (sys.get_int_max_str_digits)


def _unbuildable(node: yaml.ScalarNode) -> str | None:
    """Why YAML reads a plain value as a date or number it then cannot build (2001-99-99, 5,000 digits), if it does."""
    if node.tag == _INT_TAG and len(node.value) > _PYTHON_DIGITS:
        return f"the number here has {len(node.value):,} digits, more than Python will read"
    if node.tag == _TIMESTAMP_TAG:
        try:
            yaml.SafeLoader.construct_yaml_timestamp(yaml.SafeLoader(""), node)
        except (ValueError, TypeError, AttributeError, OverflowError) as error:  # as parse_yaml catches them
            return f"the value {node.value} is read by YAML as a date, but it is no date ({error})"
    return None


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_STANDARD_TAG) if tag.startswith(_STANDARD_TAG) else tag


def _implied_tag(node: yaml.Node) -> str:
    """The tag a node has when none is written: a plain scalar's as its text reads, else text, list or mapping."""
    if isinstance(node, yaml.ScalarNode):
        implied = _RESOLVER.resolve(yaml.ScalarNode, node.value, (not node.style, True))  # type: ignore[no-untyped-call]
        return str(implied)
    return _PLAIN_TAGS[type(node)]


@dataclass(frozen=True)
class GrantsFileRules:
    """The rules for a grants file whose grants are the list at `grant_list`: problems inside one name it."""

    grant_list: PathKey

    def name_of(self, item: yaml.Node) -> str | None:
        """The grant's `name` as building the (mended) document gives it, or None when that is not text."""
        name = _built_value(item, "name", {}) if isinstance(item, yaml.MappingNode) else None
        text = name.value if isinstance(name, yaml.ScalarNode) and name.tag == TEXT_TAG else None
        return text if is_text(text) else None  # a lone surrogate could not be printed in a problem

    def check_value(self, node: yaml.Node, note: Note) -> None:
        """A value's tag: `<<` or `=` where a value is, a date or number that cannot build, a written tag."""
        if node.tag in (MERGE_TAG, _VALUE_TAG):  # a plain `<<` or `=`
            note(
                f"the value '{node.value}' is read by YAML as a merge or value marker, not as text",
                f"put it in quotes ('{node.value}')",
            )
            node.tag = TEXT_TAG
        elif not _tag_written(node):
            if isinstance(node, yaml.ScalarNode) and (unbuildable := _unbuildable(node)) is not None:
                note(unbuildable, f'put it in quotes ("{node.value}") so YAML keeps it as text')
                node.tag = TEXT_TAG
        elif node.tag != TEXT_TAG:
            note(
                f"the YAML tag {_short_tag(node.tag)} is not one a grants file can hold",
                "remove the tag: write the value as text, a number, true or false, a list or a mapping",
            )
            node.tag = _implied_tag(node)  # mended: built as what it would be untagged, or else as text
            if isinstance(node, yaml.ScalarNode) and _unbuildable(node) is not None:
                node.tag = TEXT_TAG

    def mend_key(self, key_node: yaml.Node, value_node: yaml.Node, note: Note | None) -> bool | None:
        """A key made buildable: None to drop it, True when mended to its text, else False. `note` is None
        for a mapping reached again through an alias, already reported."""
        if key_node.tag == MERGE_TAG:
            return _mend_merge(value_node, note)
        reading = _key_reading(key_node)
        if not isinstance(key_node, yaml.ScalarNode) or (reading is not None and not key_node.value):
            if note:
                note(f"a key here is {reading or 'not text'}, not a name", "write the key as a name, or remove it")
            return None
        key, tag = str(key_node.value), _short_tag(key_node.tag)
        if key_node.tag in (TEXT_TAG, _VALUE_TAG):  # `=` is built as the text "="
            return False
        if reading is None:  # a tag no key can have
            message, fix = f"the key '{key}' has the YAML tag {tag}, which a grants file cannot hold", "remove the tag"
        elif _tag_written(key_node):
            message = f"the key '{key}' is tagged {tag}, which makes it {reading}, not a name"
            fix = f"remove the {tag} tag"
        else:
            message = f"the key '{key}' is read by YAML as {reading}, not as a name"
            fix = f"put it in quotes ('{key}') if it is a name, or remove it"
        if note:
            note(message, f"{fix}: every key in a grants file is a name")
        key_node.tag = TEXT_TAG  # mended: the text written, as quoting it would make it
        return True


def _mend_merge(value_node: yaml.Node, note: Note | None) -> bool | None:
    """`<<` merges a mapping or a list of mappings: anything else in it is reported and left out."""
    items = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
    mappings = [item for item in items if isinstance(item, yaml.MappingNode)]
    if len(mappings) < len(items) and note:
        note(
            "a merge key (<<) here merges something other than a mapping or a list of mappings",
            "merge a mapping (an alias such as *defaults that names one), or remove the <<",
        )
    if not mappings:
        return None
    if isinstance(value_node, yaml.SequenceNode):
        value_node.value = mappings
    return False
