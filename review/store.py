"""The review inbox and its labels, in the hand-over database (SQLite or PostgreSQL).

Items are grouped by ``group_key`` (near-duplicates, ``review/gather.py``); a
label is a decision about a whole group, recorded with who and when. At most
one decision is in force per group (a partial unique index): two reviewers
labelling at once, the second gets ``ReviewConflict`` with the first
decision. Undoing keeps the decision in the history and frees the group. A
selection is labelled all or nothing, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Collection, Dict, List, Mapping, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from handover.records import aware, now
from handover.schema import Database, review_cursor, review_items, review_labels
from toolkit import names

CONFIRM, RELABEL, OUT_OF_SCOPE, DISCARD = "confirm", "relabel", "out_of_scope", "discard"
DECISIONS = (CONFIRM, RELABEL, OUT_OF_SCOPE, DISCARD)
MAX_SELECTION = 500  # items labelled in one request
MAX_PAGE = 200
SORTS = ("newest", "frequent")
STATES = ("open", "labelled", "all")


class ReviewError(Exception):
    status = 400

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.extra = extra


class ReviewNotFound(ReviewError):
    status = 404


class ReviewConflict(ReviewError):
    status = 409


class ReviewStale(ReviewError):
    status = 410


class SelectionTooLarge(ReviewError):
    status = 413


@dataclass(frozen=True)
class Query:
    reason: Optional[str] = None
    intent: Optional[str] = None
    since: Optional[dt.datetime] = None
    until: Optional[dt.datetime] = None
    state: str = "open"
    sort: str = "newest"
    page: int = 1
    per_page: int = 50


def _label_dict(row: Mapping[str, Any]) -> Dict[str, Any]:
    return {
        "id": row["id"],
        "group_key": row["group_key"],
        "decision": row["decision"],
        "intent": row["intent"],
        "reviewer": row["reviewer"],
        "at": aware(row["at"]).isoformat(),  # type: ignore[union-attr]  # NOT NULL
        "undone_by": row["undone_by"],
        "undone_at": row["undone_at"] and aware(row["undone_at"]).isoformat(),  # type: ignore[union-attr]
    }


def item_dict(row: Mapping[str, Any]) -> Dict[str, Any]:
    detail = json.loads(row["detail"] or "{}")
    return {
        "id": row["id"],
        "conversation_id": row["conversation_id"],
        "at": aware(row["at"]).isoformat(),  # type: ignore[union-attr]  # NOT NULL
        "text": row["text"],
        "normalized": row["normalized"],
        "intent": row["intent"],
        "confidence": row["confidence"],
        "runner_up": row["runner_up"],
        "runner_up_confidence": row["runner_up_confidence"],
        "reasons": row["reasons"].split(),
        "why": detail.get("why", {}),
        "context": detail.get("context", []),
        "group_key": row["group_key"],
    }


class ReviewStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- items ---------------------------------------------------------------------

    def save_items(self, items: Sequence[Dict[str, Any]], cursors: Mapping[str, int]) -> None:
        """Add found items (or new reasons to known ones) and move the read cursors, in one transaction."""
        t = review_items
        with self.db.engine.begin() as conn:
            for item in items:
                key = (t.c.conversation_id == item["conversation_id"]) & (t.c.event_key == item["event_key"])
                known = conn.execute(sa.select(t.c.id, t.c.reasons, t.c.detail).where(key)).first()
                if known is None:
                    conn.execute(t.insert().values(**self._row(item)))
                    continue
                detail = json.loads(known.detail or "{}")
                detail["why"] = {**detail.get("why", {}), **item["why"]}
                detail["context"] = item["context"]
                reasons = " ".join(sorted(set(known.reasons.split()) | set(item["reasons"])))
                conn.execute(t.update().where(t.c.id == known.id).values(reasons=reasons, detail=json.dumps(detail)))
            for name, position in cursors.items():
                updated = conn.execute(
                    review_cursor.update().where(review_cursor.c.name == name).values(position=position)
                )
                if updated.rowcount == 0:
                    conn.execute(review_cursor.insert().values(name=name, position=position))

    @staticmethod
    def _row(item: Mapping[str, Any]) -> Dict[str, Any]:
        at = item["at"]
        return {
            "conversation_id": item["conversation_id"],
            "event_key": item["event_key"],
            "at": at if isinstance(at, dt.datetime) else dt.datetime.fromtimestamp(float(at), dt.timezone.utc),
            "text": item["text"],
            "normalized": item.get("normalized"),
            "intent": item.get("intent"),
            "confidence": item.get("confidence"),
            "runner_up": item.get("runner_up"),
            "runner_up_confidence": item.get("runner_up_confidence"),
            "reasons": " ".join(item["reasons"]),
            "detail": json.dumps({"why": item.get("why", {}), "context": item.get("context", [])}),
            "group_key": item["group_key"],
            "stale": False,
        }

    def insert_many(self, items: Sequence[Dict[str, Any]]) -> None:
        """Items as they are, in one statement (the benchmark's seeding; no merging)."""
        with self.db.engine.begin() as conn:
            conn.execute(review_items.insert(), [self._row(i) for i in items])

    def item(self, item_id: int) -> Dict[str, Any]:
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(review_items).where(review_items.c.id == item_id)).mappings().first()
            if row is None:
                raise ReviewNotFound(f"no review item with id {item_id}")
            found = item_dict(row)
            found["group"] = self._group_of(conn, row["group_key"])
        return found

    def _group_of(self, conn, group_key: str) -> Dict[str, Any]:
        t, lt = review_items, review_labels
        count = conn.execute(
            sa.select(sa.func.count()).where(t.c.group_key == group_key, t.c.stale.is_(False))
        ).scalar_one()
        history = conn.execute(sa.select(lt).where(lt.c.group_key == group_key).order_by(lt.c.id)).mappings().all()
        labels = [_label_dict(r) for r in history]
        current = next((lab for lab in labels if lab["undone_at"] is None), None)
        return {"key": group_key, "count": count, "label": current, "history": labels}

    def list(self, query: Query) -> Dict[str, Any]:
        """One page of groups, each with its newest message, count, reasons and current label."""
        t, lt = review_items, review_labels
        where = [t.c.stale.is_(False)]
        if query.reason:
            where.append(t.c.reasons.like(f"%{query.reason}%"))  # names are no part of one another
        if query.intent:
            where.append(t.c.intent == query.intent)
        if query.since:
            where.append(t.c.at >= query.since)
        if query.until:
            where.append(t.c.at < query.until)
        current = sa.select(lt.c.group_key).where(lt.c.undone_at.is_(None))
        if query.state == "open":
            where.append(t.c.group_key.not_in(current))
        elif query.state == "labelled":
            where.append(t.c.group_key.in_(current))
        count = sa.func.count().label("n")
        newest = sa.func.max(t.c.id).label("newest")
        groups = sa.select(t.c.group_key, count, newest, sa.func.max(t.c.at).label("last")).where(*where)
        groups = groups.group_by(t.c.group_key).subquery()
        order = [groups.c.n.desc(), groups.c.last.desc()] if query.sort == "frequent" else [groups.c.last.desc()]
        page = (
            sa.select(groups.c.group_key, groups.c.n, groups.c.newest)
            .order_by(*order, groups.c.newest.desc())
            .limit(query.per_page)
            .offset((query.page - 1) * query.per_page)
        )
        with self.db.engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(groups)).scalar_one()
            rows = conn.execute(page).all()
            ids = [r.newest for r in rows]
            by_id = {r["id"]: r for r in conn.execute(sa.select(review_items).where(t.c.id.in_(ids))).mappings()}
            keys = [r.group_key for r in rows]
            labels = {
                r["group_key"]: _label_dict(r)
                for r in conn.execute(
                    sa.select(lt).where(lt.c.group_key.in_(keys), lt.c.undone_at.is_(None))
                ).mappings()
            }
        listed = []
        for r in rows:
            entry = item_dict(by_id[r.newest])
            entry.update(count=r.n, label=labels.get(r.group_key))
            listed.append(entry)
        return {"total": total, "page": query.page, "per_page": query.per_page, "groups": listed}

    def reasons_of_groups(self, group_keys: Collection[str]) -> Dict[str, List[str]]:
        t = review_items
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.group_key, t.c.reasons).where(t.c.group_key.in_(list(group_keys))))
            found: Dict[str, set] = {}
            for key, reasons in rows:
                found.setdefault(key, set()).update(reasons.split())
        return {k: sorted(v) for k, v in found.items()}

    def conversations_of(self, item_ids: Sequence[int]) -> Dict[int, Dict[str, Any]]:
        """id -> group key, predicted intent and every conversation of the item's group (not stale)."""
        t = review_items
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.id, t.c.group_key, t.c.intent).where(t.c.id.in_(list(item_ids)))).all()
            keys = list({r.group_key for r in rows})
            members = conn.execute(
                sa.select(t.c.group_key, t.c.conversation_id).where(t.c.group_key.in_(keys), t.c.stale.is_(False))
            ).all()
        conversations: Dict[str, set] = {}
        for key, conversation_id in members:
            conversations.setdefault(key, set()).add(conversation_id)
        return {
            r.id: {"group_key": r.group_key, "intent": r.intent, "conversations": conversations.get(r.group_key, set())}
            for r in rows
        }

    def mark_stale(self, conversation_ids: Collection[str]) -> None:
        if conversation_ids:
            with self.db.engine.begin() as conn:
                query = review_items.update().where(review_items.c.conversation_id.in_(list(conversation_ids)))
                conn.execute(query.values(stale=True))

    # --- labels --------------------------------------------------------------------

    def label(
        self,
        item_ids: Sequence[int],
        decision: str,
        reviewer: str,
        intents: Collection[str],
        intent: Optional[str] = None,
    ) -> List[Dict[str, Any]]:
        """Label the groups of ``item_ids``, all or none; the labels written."""
        ids = list(dict.fromkeys(item_ids))
        if not ids:
            raise ReviewError("'items' must name at least one review item")
        if len(ids) > MAX_SELECTION:
            raise SelectionTooLarge(f"{len(ids)} items are selected; at most {MAX_SELECTION} are labelled at once")
        if decision not in DECISIONS:
            raise ReviewError(f"'decision' must be one of {', '.join(DECISIONS)}, not {decision!r}")
        if decision == RELABEL and (not intent or intent not in intents):
            known = ", ".join(sorted(intents))
            raise ReviewError(f"'intent' must be an intent of the domain ({known}), not {intent!r}")
        found = self.conversations_of(ids)
        missing = [i for i in ids if i not in found]
        if missing:
            raise ReviewNotFound(f"no review item with id {', '.join(map(str, missing))}", missing=missing)
        rows = []
        for item_id in ids:
            meant = {CONFIRM: found[item_id]["intent"], RELABEL: intent, OUT_OF_SCOPE: names.INTENT_OUT_OF_SCOPE}
            chosen = meant.get(decision)
            if decision == CONFIRM and chosen not in intents:
                raise ReviewError(f"item {item_id} has no predicted intent of the domain to confirm; relabel it")
            rows.append({"group_key": found[item_id]["group_key"], "decision": decision, "intent": chosen})
        rows = list({r["group_key"]: r for r in rows}.values())
        at = now()
        lt = review_labels
        keys = [r["group_key"] for r in rows]
        try:
            with self.db.engine.begin() as conn:
                taken = (
                    conn.execute(sa.select(lt).where(lt.c.group_key.in_(keys), lt.c.undone_at.is_(None)))
                    .mappings()
                    .all()
                )
                if taken:
                    raise self._conflict([_label_dict(r) for r in taken])
                for row in rows:
                    conn.execute(lt.insert().values(**row, reviewer=reviewer, at=at))
        except IntegrityError:  # another reviewer's label landed between the check and the insert
            with self.db.engine.connect() as conn:
                taken = (
                    conn.execute(sa.select(lt).where(lt.c.group_key.in_(keys), lt.c.undone_at.is_(None)))
                    .mappings()
                    .all()
                )
            raise self._conflict([_label_dict(r) for r in taken]) from None
        return self.current_labels(keys)

    @staticmethod
    def _conflict(taken: List[Dict[str, Any]]) -> ReviewConflict:
        first = taken[0]
        return ReviewConflict(
            f"already labelled: {first['reviewer']} decided {first['decision']}"
            f"{' as ' + first['intent'] if first['intent'] else ''} at {first['at']}; undo that label first",
            labels=taken,
        )

    def current_labels(self, group_keys: Optional[Collection[str]] = None) -> List[Dict[str, Any]]:
        lt = review_labels
        query = sa.select(lt).where(lt.c.undone_at.is_(None)).order_by(lt.c.id)
        if group_keys is not None:
            query = query.where(lt.c.group_key.in_(list(group_keys)))
        with self.db.engine.connect() as conn:
            return [_label_dict(r) for r in conn.execute(query).mappings()]

    def undo(self, label_id: int, reviewer: str) -> Dict[str, Any]:
        lt = review_labels
        with self.db.engine.begin() as conn:
            done = conn.execute(
                lt.update()
                .where(lt.c.id == label_id, lt.c.undone_at.is_(None))
                .values(undone_by=reviewer, undone_at=now())
            )
            row = conn.execute(sa.select(lt).where(lt.c.id == label_id)).mappings().first()
        if row is None:
            raise ReviewNotFound(f"no label with id {label_id}")
        if done.rowcount == 0:
            label = _label_dict(row)
            raise ReviewConflict(f"label {label_id} was already undone by {label['undone_by']}", label=label)
        return _label_dict(row)

    def labelled_examples(self) -> List[Dict[str, Any]]:
        """Every text of a group with a decision in force that trains (not discarded), with its label."""
        t, lt = review_items, review_labels
        query = (
            sa.select(t.c.text, t.c.conversation_id, t.c.at, lt.c.intent, lt.c.reviewer, lt.c.at.label("labelled_at"))
            .join(lt, lt.c.group_key == t.c.group_key)
            .where(lt.c.undone_at.is_(None), lt.c.decision != DISCARD, t.c.stale.is_(False))
            .order_by(t.c.id)
        )
        with self.db.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]
