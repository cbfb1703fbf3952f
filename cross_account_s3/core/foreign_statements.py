"""Statements someone else wrote into a bucket's live policy, which writing (or deleting) the policy would wipe.

PutBucketPolicy replaces a bucket's whole policy and DeleteBucketPolicy deletes it, so a statement the
program did not write survives only when the grants file declares it (`extraStatements`). Preview
stops on any other, and prints the YAML that keeps it, checked the way the grants file will check it,
so the fix it offers is one the next preview accepts; a statement that cannot be kept is named with
the reason instead.

A statement counts as this program's own when its Sid has the program's exact shape
(`statements.is_own`), or when it says what this stack's last deployment wrote
(`documents.WrittenStatements`; a statement that was under `extraStatements` then): taking a statement
out of the grants file is a reviewed change, which the preview diff shows. A statement of the
program's shape that this stack did not write (another stack's, or a hand edit) is replaced with a
warning first, and stops the deletion of a bucket's policy (`retired_buckets`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Collection, Iterator, Mapping
from typing import Any

import yaml
from pydantic import ValidationError

from . import naming
from .documents import UNIQUE_ID_PREFIXES, WrittenStatements, principals, same_statement_key, statements
from .live import LiveBucket, LiveFacts
from .loaded_grants import LoadedGrants
from .problems import Problem
from .statements import OWN_SID_PREFIX, PolicyStatement, bucket_statement_findings, is_own
from .validation import CUSTOM_ERROR


def _body(statement: Mapping[str, Any]) -> str:
    """A statement without its Sid, so one declared with a new Sid still matches its Sid-less original."""
    return json.dumps(_without_sid(statement), sort_keys=True)


def foreign_statements(state: LiveBucket | None, last_written: WrittenStatements | None = None) -> list[dict[str, Any]]:
    """The statements of a bucket's live policy that this program did not write.

    `last_written` holds the statements of the policy this stack's last deployment wrote; a live
    statement that still says what one of them said is not foreign.
    """
    written = last_written or WrittenStatements()
    return [s for s in _live_statements(state) if not is_own(s) and not written.holds(s)]


def not_written_by_this_stack(state: LiveBucket | None, last_written: WrittenStatements) -> list[dict[str, Any]]:
    """Every live statement the last deployment did not write, of this program's Sid shape or not."""
    return [s for s in _live_statements(state) if not last_written.holds(s)]


def _live_statements(state: LiveBucket | None) -> list[dict[str, Any]]:
    return statements(state.policy) if state is not None and state.exists else []


def foreign_statement_problems(loaded: LoadedGrants, facts: LiveFacts) -> list[Problem]:
    """Statements in a bucket's live policy that this stack did not write and the file does not declare.

    Writing the policy would delete them, so preview stops and shows the YAML that keeps them. A
    statement counts as declared when the file has one with the same Sid, or with the same content
    under another Sid (one that had no Sid, or one named with this program's prefix by hand).
    """
    problems: list[Problem] = []
    for bucket in loaded.managed_buckets:
        declared = loaded.extra_statements.get(bucket, ())
        declared_sids = {str(s.get("Sid")) for s in declared}
        declared_bodies = {_body(s) for s in declared}
        undeclared = [
            s
            for s in foreign_statements(facts.buckets.get(bucket), facts.last_written.get(bucket))
            if str(s.get("Sid", "")) not in declared_sids and _body(s) not in declared_bodies
        ]
        if not undeclared:
            continue
        problems.append(
            loaded.bucket_entry("extraStatements", bucket).problem(
                f"the bucket's current policy has statements this program did not write ({sid_list(undeclared)}); "
                "writing the policy would delete them",
                keep_them(bucket, undeclared, declared_sids, retired=False),
            )
        )
    return problems


def sid_list(found: list[dict[str, Any]]) -> str:
    """The statements by Sid, for a message: "AllowCloudFrontRead, (no Sid)"."""
    return ", ".join(str(s.get("Sid") or "(no Sid)") for s in found)


def keep_them(bucket: str, undeclared: list[dict[str, Any]], declared_sids: Collection[str], *, retired: bool) -> str:
    """The fix: the YAML that keeps the statements that can be kept, and why the others cannot be.

    A statement gets a new Sid (`KeptN`) where its own would be refused: none, this program's prefix,
    not letters and digits, or one the bucket's declared statements (`declared_sids`) already use,
    ignoring case as the grants file's check does. `retired`: the bucket has no grant left.
    """
    taken = {sid.lower() for sid in declared_sids}
    keepable: list[dict[str, Any]] = []
    refused: list[str] = []
    for statement in undeclared:
        sid = str(statement.get("Sid", ""))
        if not naming.SID.fullmatch(sid) or sid.startswith(OWN_SID_PREFIX) or sid.lower() in taken:
            fresh = next(f"Kept{n}" for n in itertools.count(1) if f"kept{n}" not in taken)
            statement = {"Sid": fresh, **{k: v for k, v in statement.items() if k != "Sid"}}
        taken.add(str(statement["Sid"]).lower())
        why_not = _why_it_cannot_be_kept(bucket, statement)
        if why_not:
            refused.append(f"{sid or '(no Sid)'}: {why_not}")
        else:
            keepable.append(statement)
    parts: list[str] = []
    if keepable:
        snippet = yaml.safe_dump({"extraStatements": {bucket: keepable}}, sort_keys=False, default_flow_style=False)
        then = " (the policy is then rewritten to just these statements)" if retired else ""
        parts.append(
            f"to keep {'them' if not refused else 'those that can be kept'}{then}, add this to the grants file "
            "(a statement whose Sid the file would refuse or already uses gets a new one):\n"
            + "\n".join("      " + line for line in snippet.splitlines())
        )
        parts.append("or remove them from the bucket policy by hand if they are no longer wanted")
    if refused:
        parts.append(
            "a policy this program writes cannot hold "
            + "; ".join(refused)
            + ". Remove such a statement from the bucket policy by hand"
            + (" (and keep the others as above)" if keepable else "")
            + ", or let this program go of the bucket: "
            + (
                "copy the statements it did not write, remove them from the policy by hand, run `pulumi up` "
                "(which then deletes a policy holding only what this stack wrote), and write them back by hand"
                if retired
                else "remove its grants and its extraStatements entry, and follow what preview then says"
            )
        )
    return "\n    ".join(parts)


def _why_it_cannot_be_kept(bucket: str, statement: dict[str, Any]) -> str | None:
    """What the grants file's own check would say of this statement under `extraStatements`, or None."""
    findings = bucket_statement_findings(bucket, [statement])
    if findings:
        return findings[0][1]
    try:
        PolicyStatement.model_validate(statement)
    except ValidationError as error:
        first = error.errors()[0]
        if first["type"] == CUSTOM_ERROR:
            return str((first.get("ctx") or {}).get("message"))
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    return None


def _redeclared(loaded: LoadedGrants, facts: LiveFacts) -> Iterator[tuple[str, int, dict[str, Any], bool]]:
    """Live statements not written as they are by this stack whose Sid the file declares with other content.

    Each as (bucket, index of the declared one, the live one, whether this stack's last deployment wrote
    a statement under that Sid).
    """
    for bucket in loaded.managed_buckets:
        declared = loaded.extra_statements.get(bucket, ())
        by_sid = {str(s.get("Sid")): index for index, s in enumerate(declared)}
        last_written = facts.last_written.get(bucket, WrittenStatements())
        for live in foreign_statements(facts.buckets.get(bucket), last_written):
            index = by_sid.get(str(live.get("Sid", "")))
            if index is not None and not _same_body(declared[index], live):
                yield bucket, index, live, str(live.get("Sid")) in last_written.sids


def replaced_statement_problems(loaded: LoadedGrants, facts: LiveFacts) -> list[Problem]:
    """Declared statements whose live version, someone else's, says something else under the same Sid.

    `pulumi up` would overwrite someone else's statement with the file's version, and the reviewed diff
    cannot show it: the diff compares two grants files, and only preview sees the live policy. A
    weakened `Deny` (or a widened `Allow`) would pass review looking like a statement merely kept. So
    the file must first declare the statement as it is live; once this stack has written a statement
    under that Sid, changing it is a change between two grants files, which the diff shows (and a live
    version that differs is a note: `redeclared_statement_notes`). Spellings IAM reads alike (a one-item
    list, list order) are the same statement.
    """
    problems: list[Problem] = []
    for bucket, index, live, ours in _redeclared(loaded, facts):
        if ours:
            continue
        why_not = _why_it_cannot_be_kept(bucket, live)
        if why_not:
            fix = (
                f"it cannot be declared as it is ({why_not}): remove it from the bucket policy by hand, or have its "
                "owner change it to what the file says"
            )
        else:
            as_live = yaml.safe_dump({"extraStatements": {bucket: [live]}}, sort_keys=False, default_flow_style=False)
            fix = (
                "declare it as it is live, and change it in a later pull request once `pulumi up` has written it "
                "(the diff then shows the change):\n"
                + "\n".join("      " + line for line in as_live.splitlines())
                + "\n    or change the live statement by hand to what the file says, if its owner agrees"
            )
        problems.append(
            loaded.bucket_entry("extraStatements", bucket)
            .at(index)
            .problem(
                f"the bucket's live policy has a statement {live.get('Sid')} that this program did not write, and it "
                "says something else than the one declared here: `pulumi up` would replace it with this one, a "
                "change the reviewed diff does not show",
                fix,
            )
        )
    return problems


def redeclared_statement_notes(loaded: LoadedGrants, facts: LiveFacts) -> list[str]:
    """Declared statements this stack wrote before whose live version now says something else.

    Someone edited it by hand since, or S3 stored it in another form than written (it stores an account
    ID as the account's root ARN, and a CloudFront origin access identity's canonical user as its ARN);
    `pulumi up` writes the declared version again, so a reviewer sees both.
    """
    return [
        f"bucket {bucket}: statement {live.get('Sid')} in the live policy differs from the one in the grants file, "
        f"which this stack wrote before: `pulumi up` will replace the live version {_body(live)} with the declared "
        f"version {_body(loaded.extra_statements[bucket][index])}. If S3 stored it in another form than written "
        "(an account ID as its root ARN, say), write it in that form and this note goes away"
        for bucket, index, live, ours in _redeclared(loaded, facts)
        if ours
    ]


def _same_body(declared: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
    """Whether two statements say the same as IAM reads them, whatever their Sids."""
    return same_statement_key(_without_sid(declared)) == same_statement_key(_without_sid(live))


def _without_sid(statement: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in statement.items() if key != "Sid"}


def unwritten_own_statement_notes(
    loaded: LoadedGrants, facts: LiveFacts, planned: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Statements with this program's Sid shape in a live policy that this stack's last deployment did not write.

    Another stack of this program granting on the same bucket writes Sids of the same shape, and so
    does a hand edit of one of this stack's statements; `pulumi up` replaces them with this stack's,
    which takes away what they grant, so a reviewer must see it. A statement the plan writes again as
    it is (`planned`: each bucket's planned policy) loses nothing. A principal that AWS rewrote to a
    unique ID (its user or role was deleted) leaves a statement this stack's (`documents.WrittenStatements`).
    The planned policy is read only for a bucket that has such statements: most have none.
    """
    notes: list[str] = []
    for bucket in loaded.managed_buckets:
        last_written = facts.last_written.get(bucket, WrittenStatements())
        candidates = [s for s in not_written_by_this_stack(facts.buckets.get(bucket), last_written) if is_own(s)]
        if not candidates:
            continue
        again = WrittenStatements.of(planned.get(bucket))
        unwritten = [s for s in candidates if not again.holds(s)]
        if unwritten:
            notes.append(
                f"bucket {bucket}: its live policy has statements with this program's Sids that this stack's last "
                f"deployment did not write ({sid_list(unwritten)}): another stack of this program writes this "
                "bucket's policy too, someone edited them by hand, a `pulumi up` failed, or this stack has no "
                "record of its last deployment. `pulumi up` replaces them with this stack's statements, which "
                "takes away whatever they grant that the grants file does not; a bucket has one policy, so leave "
                "each bucket to one stack"
            )
    return notes


def restored_principal_notes(
    loaded: LoadedGrants, facts: LiveFacts, planned: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Users and roles this stack granted, taken out of the live policy by hand since, that `pulumi up` puts back.

    Someone cut them off in the console, perhaps in a hurry: out of a statement, or with the whole
    statement. The grants file still grants it, so `pulumi up` would quietly grant it again; a reviewer
    must see that and decide, since the grants file is where access is taken away. Compared statement by
    statement (by everything but their principals), and, for a grant this change edits (its statement
    changes), principal by principal over the whole policy. Only this program's own statements: a kept
    statement is someone else's to edit, and S3 may store its principals in another form than written. A
    principal AWS replaced with a unique ID was deleted, not taken out: where the live policy holds such
    an ID, the principal-by-principal comparison is left out (which user the ID stood for, nobody can tell).
    (`planned`: each bucket's planned policy, read only for a bucket with a removal: most have none.)
    """
    notes: list[str] = []
    for bucket in loaded.managed_buckets:
        last_written = facts.last_written.get(bucket)
        if last_written is None:
            continue
        written = last_written.only(is_own)
        live = [statement for statement in _live_statements(facts.buckets.get(bucket)) if is_own(statement)]
        named_live = {name for statement in live for name in principals(statement, "AWS")}
        taken_out = {statement_index: written.removed_from(statement) for statement_index, statement in enumerate(live)}
        anywhere = set()
        if not any(name.startswith(UNIQUE_ID_PREFIXES) for name in named_live):
            anywhere = set(written.principals - named_live)
        live_shapes = WrittenStatements.of({"Statement": live})
        deleted = set(written.named_where_missing(live_shapes, written))  # only a cheap "any?" before `planned`
        if not (anywhere or deleted or any(taken_out.values())):
            continue
        again = WrittenStatements.of(planned.get(bucket)).only(is_own)
        restored = set(written.named_where_missing(live_shapes, again)) | (anywhere & again.principals)
        for statement_index, removed in taken_out.items():
            restored |= removed & again.principals_like(live[statement_index])
        if restored:
            notes.append(
                f"bucket {bucket}: the live policy no longer names {', '.join(sorted(restored))} where this stack's "
                "last deployment granted them: someone took them out by hand. `pulumi up` grants it again as the "
                "grants file says; to cut them off, take them out of the grants file"
            )
    return notes
