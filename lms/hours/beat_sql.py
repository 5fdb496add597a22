"""The study beat's one SQL statement: measure, credit and check the login (lms.hours.tracker runs
it; lms.hours.crediting_model is the same rules in plain Python, compared by a property test)."""

from __future__ import annotations

import sqlalchemy as sa

from lms.auth.claims import account_holds_sql

MIN_BEAT_GAP_MS = 1000  # closer beats change nothing (their time counts with the next one)
BEAT_BURST = 10  # early beats in a row (each less than MIN_BEAT_GAP_MS after the previous beat) allowed

# The beat is this one statement. The row-valued SET takes its values from a correlated subquery
# over the row being updated; each nested SELECT adds the quantities the next one needs, so every
# rule is written once. Both SQLite (≥ 3.35, for RETURNING) and PostgreSQL run it as is, except
# that SQLite spells LEAST/GREATEST as two-argument min/max. Because the subquery reads the row
# being updated, PostgreSQL evaluates it against the row version it updates (after waiting for a
# concurrent beat's lock), and SQLite runs one writer at a time: no beat credits seconds another
# beat already credited.
#
# Parameters: user, version (the login's session version), token, now (ms), timeout (ms: how
# long a presence check may go unanswered), max_gap (ms: 2 × interval), day_start (ms: the local
# midnight that began today), year and prev_year (the local years of today and of the day before),
# deliver (1 when this beat may deliver a due presence check: the tracker draws it per beat),
# prev_day_start (ms: the local midnight that began yesterday) and daily_max (s: DAILY_MAX_HOURS).
#
# The day's cap across all sources: start stores in the row what the member's day may still take
# (day_budget, for the day beginning at budget_day_ms: DAILY_MAX_HOURS less every ledger row of
# that day, other lessons and sources included); each part of a span takes at most its day's
# allowance (that budget on the budget's day, the whole daily_max on a later day, whose other
# sources the row does not know until the next start), and a counted beat leaves today's rest.
#
# The beat's own rate limit is in the row: a beat less than MIN_BEAT_GAP_MS after the previous
# beat (last_beat_ms) is early; past BEAT_BURST early beats in a row a beat is refused (step 0:
# nothing counted, the anchor stays, so its time counts with the next beat; the caller answers
# 429) until one comes at a human pace again. And it keeps the evidence of 学时异常 review in the
# same SET: the credited seconds of the session and the count, sum and sum of squares of the
# counted beats' gaps (a script's clockwork beats have no spread; the page's are jittered).

_BEAT_SQL = """
UPDATE study_session
SET (anchor_ms, credit_year, year_credited, since_check_seconds, check_issued_ms,
     last_gap_ms, credit_prev_day, credit_today,
     session_credited, beat_n, gap_sum_ms, gap_sq_ms, early_beats, last_beat_ms, budget_day_ms, day_budget) = (
  SELECT
    CASE WHEN step = 0 THEN anchor
         WHEN step = 2 AND take_prev + take_today = whole THEN anchor + whole * 1000
         ELSE :now END,
    CASE WHEN today_part > 0 AND :year > year1 THEN :year ELSE year1 END,
    CASE WHEN today_part > 0 AND :year > year1 THEN take_today ELSE credited1 + take_today END,
    since + take_prev + take_today,
    CASE WHEN issued IS NULL AND since + take_prev + take_today >= next_check AND :deliver = 1 THEN :now
         ELSE issued END,
    gap, take_prev, take_today,
    sess + take_prev + take_today,
    beats + CASE WHEN step = 2 THEN 1 ELSE 0 END,
    gap_sum + CASE WHEN step = 2 THEN gap ELSE 0 END,
    gap_sq + CASE WHEN step = 2 THEN gap * gap ELSE 0 END,
    CASE WHEN :now - last_beat < {min_gap} THEN early + 1 ELSE 0 END,
    :now,
    CASE WHEN step = 2 THEN :day_start ELSE bday END,
    CASE WHEN step = 2 THEN allow_today - take_today ELSE budget END
  FROM (
    SELECT s5.*, {least}(allow_today, {least}(today_part, CASE WHEN :year > year1 THEN cap
                                          WHEN :year = year1 THEN {greatest}(cap - credited1, 0)
                                          ELSE 0 END)) AS take_today
    FROM (
      SELECT s4.*,
             CASE WHEN prev_part > 0 AND :prev_year > year0 THEN :prev_year ELSE year0 END AS year1,
             CASE WHEN prev_part > 0 AND :prev_year > year0 THEN take_prev
                  ELSE credited0 + take_prev END AS credited1
      FROM (
        SELECT s3.*, whole - prev_part AS today_part,
               {least}(allow_prev, {least}(prev_part, CASE WHEN :prev_year > year0 THEN cap
                                       WHEN :prev_year = year0 THEN {greatest}(cap - credited0, 0)
                                       ELSE 0 END)) AS take_prev
        FROM (
          SELECT s2.*, {least}(whole, ({greatest}(:day_start - anchor, 0) + 999) / 1000) AS prev_part
          FROM (
            SELECT s1.*, CASE WHEN step = 2 THEN gap / 1000 ELSE 0 END AS whole,
                   CASE WHEN bday = :prev_day_start THEN {greatest}(budget, 0)
                        WHEN bday < :prev_day_start THEN :daily_max ELSE 0 END AS allow_prev,
                   CASE WHEN bday >= :day_start THEN {greatest}(budget, 0) ELSE :daily_max END AS allow_today
            FROM (
              SELECT s0.*, CASE WHEN issued IS NOT NULL AND :now - issued > :timeout THEN 0
                                WHEN gap < {min_gap} THEN 0
                                WHEN early >= {burst} AND :now - last_beat < {min_gap} THEN 0
                                WHEN gap > :max_gap THEN 1
                                ELSE 2 END AS step
              FROM (
                SELECT study_session.anchor_ms AS anchor, study_session.check_issued_ms AS issued,
                       study_session.cap_seconds AS cap, study_session.credit_year AS year0,
                       study_session.year_credited AS credited0,
                       study_session.since_check_seconds AS since,
                       study_session.next_check_seconds AS next_check,
                       study_session.session_credited AS sess, study_session.beat_n AS beats,
                       study_session.gap_sum_ms AS gap_sum, study_session.gap_sq_ms AS gap_sq,
                       study_session.early_beats AS early, study_session.last_beat_ms AS last_beat,
                       study_session.budget_day_ms AS bday, study_session.day_budget AS budget,
                       :now - study_session.anchor_ms AS gap
              ) AS s0
            ) AS s1
          ) AS s2
        ) AS s3
      ) AS s4
    ) AS s5
  ) AS s6
)
WHERE study_session.user_id = :user AND study_session.token = :token AND {account_holds}
RETURNING lesson_id, course_id, cap_seconds, credit_year, year_credited, check_issued_ms,
          last_gap_ms, credit_prev_day, credit_today, early_beats, budget_day_ms, day_budget
"""
# In the subquery: gap = ms since the anchor; step = 0 when the anchor stays (a presence check
# is overdue, the beat came too soon, or it is past a burst of early ones: its time counts with
# the next), 1 for a new segment after a long gap (nothing credited), 2 when the span counts;
# whole = its whole seconds (the fraction carries over, as the anchor moves by whole seconds);
# prev_part / today_part = the span split at today's local midnight; allow_* = what each part's
# day may still take; take_* = what each part may credit: a later year than the row's credit year
# starts from zero, an earlier one takes nothing, the lesson's 学时 caps the year and the day's
# allowance the day; when a cap cut the span short (or a new segment began) the anchor moves to now.

_BEAT: dict[str, sa.TextClause] = {}


def beat_statement(dialect: str) -> sa.TextClause:
    """The beat's statement for this database dialect (compiled once per dialect)."""
    stmt = _BEAT.get(dialect)
    if stmt is None:
        sqlite_words = dialect == "sqlite"
        stmt = sa.text(_BEAT_SQL.format(
            least="min" if sqlite_words else "LEAST",
            greatest="max" if sqlite_words else "GREATEST",
            min_gap=MIN_BEAT_GAP_MS,
            burst=BEAT_BURST,
            account_holds=account_holds_sql(user_param="user", version_param="version", login_param="login"),
        ))
        _BEAT[dialect] = stmt
    return stmt
