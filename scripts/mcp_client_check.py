"""Drives Sparky's MCP server with the official Python MCP client (run by scripts/mcp-client-check).

Over streamable HTTP (POST /mcp with a Bearer API key) and over stdio (`sparky mcp` with
SPARKY_API_KEY), each: initialize, list the tools (the expected names must be there), search the
catalog for the seeded food, log it, read that day back and check the entry and its calories.
Each transport logs to its own day, so each day holds exactly the entry it logged.

Usage: mcp_client_check.py BASE_URL API_KEY SPARKY_BIN DATA_DIR FOOD_NAME KCAL_PER_SERVING

Exits non-zero with a message naming the transport and the step on any failure; on success
prints `mcp-client-check: ok (http: N tools, stdio: N tools)`.
"""

import asyncio
import json
import os
import sys
from decimal import Decimal

import httpx
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

EXPECTED_TOOLS = {
    "search_foods",
    "log_food",
    "quick_add",
    "create_recipe",
    "save_meal_as_recipe",
    "log_exercise",
    "log_measurement",
    "log_water",
    "copy_meal",
    "copy_workouts",
    "delete_entry",
    "apply_meal_plan",
    "read_day",
    "read_range_summary",
    "read_top_foods",
    "read_measurements",
    "read_workouts",
    "read_goals",
    "update_goal",
    "undo_last_action",
}
SUPPORTED_VERSIONS = {"2025-06-18", "2025-03-26", "2024-11-05"}


class CheckFailed(Exception):
    pass


def check(ok, message):
    if not ok:
        raise CheckFailed(message)


def structured(result, step):
    """The tool result's structured content, failing on a tool error."""
    text = " ".join(getattr(c, "text", "") for c in result.content)
    check(not result.isError, f"{step}: the tool answered with an error: {text}")
    check(isinstance(result.structuredContent, dict), f"{step}: no structured content: {text}")
    return result.structuredContent.get("result")


async def exercise(session, food_name, kcal_per_serving, date, meal):
    """One transport's run; returns the number of tools listed."""
    step = "initialize"
    init = await session.initialize()
    check(init.serverInfo.name == "sparky", f"{step}: server name {init.serverInfo.name!r}")
    check(
        str(init.protocolVersion) in SUPPORTED_VERSIONS,
        f"{step}: negotiated protocol version {init.protocolVersion!r}",
    )
    check(init.capabilities.tools is not None, f"{step}: the server offers no tools capability")

    step = "tools/list"
    tools = (await session.list_tools()).tools
    names = {t.name for t in tools}
    missing = EXPECTED_TOOLS - names
    check(not missing, f"{step}: missing tools {sorted(missing)} (got {sorted(names)})")
    check("ask_user" not in names, f"{step}: ask_user is chat-only but was listed")
    for t in tools:
        check(t.inputSchema.get("type") == "object", f"{step}: {t.name}'s inputSchema is not an object")

    step = "search_foods"
    found = structured(await session.call_tool("search_foods", {"query": food_name}), step)
    foods = [f for f in found.get("foods", []) if f.get("name") == food_name]
    check(foods, f"{step}: {food_name!r} not found in {json.dumps(found)[:500]}")
    food = foods[0]
    serving = next((s for s in food["servings"] if s.get("default")), food["servings"][0])

    step = "log_food"
    logged = structured(
        await session.call_tool(
            "log_food",
            {"food_id": food["food_id"], "quantity": 2, "unit": serving["unit"], "meal": meal, "date": date},
        ),
        step,
    )
    entry = logged.get("logged") or {}
    check(entry.get("food") == food_name, f"{step}: logged {json.dumps(logged)[:300]}")
    expected_kcal = Decimal(str(kcal_per_serving)) * 2
    check(
        Decimal(str(entry.get("nutrients", {}).get("calories"))) == expected_kcal,
        f"{step}: logged {entry.get('nutrients')} kcal, expected {expected_kcal}",
    )

    step = "read_day"
    day = structured(await session.call_tool("read_day", {"date": date}), step)
    check(day.get("date") == date, f"{step}: read {day.get('date')!r}, asked for {date}")
    entries = [e for m in day.get("meals", []) for e in m.get("entries", [])]
    check(
        [(e.get("food"), e.get("meal")) for e in entries] == [(food_name, meal)],
        f"{step}: entries {json.dumps(entries)[:500]}, expected one {food_name!r} at {meal}",
    )
    eaten = Decimal(str(day.get("eaten", {}).get("calories")))
    check(eaten == expected_kcal, f"{step}: {eaten} kcal eaten, expected {expected_kcal}")

    step = "read_day (bad date)"
    bad = await session.call_tool("read_day", {"date": "not a date"})
    check(bad.isError, f"{step}: an invalid date was not a tool error")
    return len(tools)


async def over_http(base, key, food_name, kcal):
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(30, read=60)) as client:
        async with streamable_http_client(f"{base}/mcp", http_client=client) as (read, write, _):
            async with ClientSession(read, write) as session:
                return await exercise(session, food_name, kcal, "2026-01-05", "breakfast")


async def over_stdio(binary, data_dir, key, food_name, kcal):
    env = {
        "SPARKY_DATA_DIR": data_dir,
        "SPARKY_API_KEY": key,
        "RUST_LOG": "warn",
        "NO_COLOR": "1",
    }
    params = StdioServerParameters(command=binary, args=["mcp"], env=env)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            return await exercise(session, food_name, kcal, "2026-01-06", "dinner")


async def main():
    base, key, binary, data_dir, food_name, kcal = sys.argv[1:7]
    counts = {}
    for name, run in (
        ("http", lambda: over_http(base, key, food_name, kcal)),
        ("stdio", lambda: over_stdio(binary, data_dir, key, food_name, kcal)),
    ):
        try:
            counts[name] = await asyncio.wait_for(run(), timeout=120)
        except Exception as e:  # a failed check, or a transport or protocol failure
            # The client's task groups wrap what was raised inside them.
            while isinstance(e, BaseExceptionGroup) and e.exceptions:
                e = e.exceptions[0]
            what = str(e) if isinstance(e, CheckFailed) else f"{type(e).__name__}: {e}"
            sys.exit(f"mcp-client-check: FAILED over {name}: {what}")
    print(f"mcp-client-check: ok (http: {counts['http']} tools, stdio: {counts['stdio']} tools)")


if __name__ == "__main__":
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    asyncio.run(main())
