"""Random SQL over the NULL-heavy test tables, for differential testing against DuckDB."""

from __future__ import annotations

COLS_T = {"id": "i", "a": "i", "b": "i", "f": "f", "d": "d", "s": "s", "dt": "dt", "flag": "b"}
COLS_U = {"id": "i", "t_id": "i", "s": "s", "v": "d", "a": "i"}


def num(r, al, cols, depth=0):
    c = [k for k, t in cols.items() if t in "ifd"]
    ch = r.random()
    if depth > 2 or ch < 0.4:
        return f"{al}.{r.choice(c)}"
    if ch < 0.55:
        return str(r.choice([0, 1, 2, 3, -1, 10, 2.5, 100]))
    if ch < 0.8:
        return f"({num(r, al, cols, depth + 1)} {r.choice(['+', '-', '*'])} {num(r, al, cols, depth + 1)})"
    if ch < 0.9:
        return f"coalesce({al}.{r.choice(c)}, {r.choice([0, 1, -5])})"
    return f"case when {pred(r, al, cols, depth + 1)} then {num(r, al, cols, depth + 1)} else {num(r, al, cols, depth + 1)} end"


def pred(r, al, cols, depth=0):
    ch = r.random()
    if depth > 2 or ch < 0.45:
        return (
            f"{num(r, al, cols, depth + 1)} {r.choice(['=', '<', '>', '<=', '>=', '<>'])} {num(r, al, cols, depth + 1)}"
        )
    if ch < 0.55:
        return f"{al}.{r.choice(list(cols))} is {r.choice(['', 'not '])}null"
    if ch < 0.65 and "s" in cols:
        return f"{al}.s {r.choice(['like', 'not like', 'ilike'])} '{r.choice(['a%', '%a%', '_', '%e', 'B%'])}'"
    if ch < 0.75:
        return f"{al}.{r.choice([k for k, t in cols.items() if t == 'i'])} {r.choice(['in', 'not in'])} ({', '.join(str(r.randint(-2, 12)) for _ in range(r.randint(1, 4)))}{', null' if r.random() < 0.3 else ''})"
    if ch < 0.85:
        return f"({pred(r, al, cols, depth + 1)} {r.choice(['and', 'or'])} {pred(r, al, cols, depth + 1)})"
    if ch < 0.92:
        return f"not ({pred(r, al, cols, depth + 1)})"
    return f"{num(r, al, cols, depth + 1)} between {r.randint(-5, 5)} and {r.randint(0, 50)}"


def query(r):
    """A random filter, grouped aggregate, join, subquery or set-operation query."""
    kind = r.random()
    if kind < 0.3:
        items = [num(r, "t", COLS_T) for _ in range(r.randint(1, 3))]
        q = f"select t.id, {', '.join(items)} from t where {pred(r, 't', COLS_T)}"
    elif kind < 0.55:
        key = r.choice(["t.a", "t.s", "t.flag", "t.b % 3", "t.dt"])
        agg = r.choice(
            [
                "count(*)",
                "sum(t.b)",
                "min(t.s)",
                "max(t.d)",
                "avg(t.f)",
                "count(distinct t.a)",
                "sum(t.d)",
                "bool_or(t.flag)",
            ]
        )
        q = f"select {key} as k, {agg} as v from t where {pred(r, 't', COLS_T)} group by 1"
        if r.random() < 0.4:
            q += f" having count(*) > {r.randint(0, 3)}"
    elif kind < 0.75:
        j = r.choice(["join", "left join", "right join", "full join"])
        q = f"select t.id, u.id, {num(r, 'u', COLS_U)} from t {j} u on t.id = u.t_id{' and ' + pred(r, 'u', COLS_U) if r.random() < 0.5 else ''} where {pred(r, 't', COLS_T) if r.random() < 0.5 else 'true'}"
    elif kind < 0.9:
        sub = r.choice(
            [
                f"exists (select 1 from u where u.t_id = t.id and {pred(r, 'u', COLS_U)})",
                f"not exists (select 1 from u where u.t_id = t.id and {pred(r, 'u', COLS_U)})",
                f"t.a in (select u.a from u where {pred(r, 'u', COLS_U)})",
                f"t.a not in (select u.a from u where {pred(r, 'u', COLS_U)})",
                "t.b > (select avg(u.a) from u where u.t_id = t.id)",
                f"t.d < (select max(u.v) from u where {pred(r, 'u', COLS_U)})",
                f"(select count(*) from u where u.t_id = t.id) > {r.randint(0, 2)}",
            ]
        )
        q = f"select t.id from t where {sub}"
        if r.random() < 0.3:
            q = q.replace("where ", "where " + pred(r, "t", COLS_T) + " or ", 1)
    else:
        op = r.choice(["union", "union all", "intersect", "except"])
        q = f"select t.a from t where {pred(r, 't', COLS_T)} {op} select u.a from u where {pred(r, 'u', COLS_U)}"
    return q


def scalar(r):
    return r.choice(
        [
            "upper(t.s)",
            "lower(t.s)",
            "length(t.s)",
            "substring(t.s, 2, 3)",
            "t.s || '-'",
            "concat(t.s, t.a)",
            "trim(t.s)",
            "replace(t.s, 'a', 'x')",
            "strpos(t.s, 'a')",
            "starts_with(t.s, 'a')",
            "t.dt + interval '1' month",
            "extract(year from t.dt)",
            "extract(month from t.ts)",
            "date_trunc('month', t.dt)",
            "t.b / 3",
            "t.b // 3",
            "t.b % 3",
            "t.d * 2",
            "t.d / 2",
            "cast(t.d as double)",
            "cast(t.a as varchar)",
            "cast(t.f as integer)",
            "t.d + t.a",
            "nullif(t.a, 1)",
            "t.a is distinct from t.b",
            "abs(t.b)",
            "greatest(t.a, t.b)",
            "least(t.a, 3)",
            "t.ts > timestamp '2000-01-01 00:00:00'",
            "t.dt - 7",
            "case t.a when 1 then 'one' when 2 then 'two' end",
            "coalesce(t.s, 'none')",
            "t.f * t.f",
        ]
    )


def query2(r):
    """A random projection of scalar functions, optionally ordered with LIMIT/OFFSET."""
    items = ", ".join(scalar(r) for _ in range(r.randint(1, 4)))
    q = f"select t.id, {items} from t where {pred(r, 't', COLS_T)}"
    if r.random() < 0.5:
        q += f" order by t.id {r.choice(['asc', 'desc'])} limit {r.randint(0, 15)} offset {r.randint(0, 5)}"
    return q
