"""Reads an XLSX workbook with openpyxl (Debian's python3-openpyxl), an independent reader.

Usage: openpyxl_read.py FILE [SHEET...]. Prints JSON {"sheets": [names in order], "<sheet>":
{"headers": [...], "rows": [[{"t": type, "v": value}, ...], ...]}} where t is one of "n"
(number), "s" (text), "b" (boolean), "d" (date, v an ISO string) or "e" (empty).
"""
import datetime
import json
import sys

import openpyxl


def cell(v):
    if v is None:
        return {"t": "e", "v": None}
    if isinstance(v, bool):
        return {"t": "b", "v": v}
    if isinstance(v, (int, float)):
        return {"t": "n", "v": v}
    if isinstance(v, (datetime.datetime, datetime.date)):
        return {"t": "d", "v": v.isoformat()}
    return {"t": "s", "v": str(v)}


def main():
    wb = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=True)
    wanted = sys.argv[2:] or wb.sheetnames
    out = {"sheets": wb.sheetnames}
    for name in wanted:
        if name not in wb.sheetnames:
            continue
        rows = list(wb[name].iter_rows(values_only=True))
        headers = [("" if h is None else str(h)) for h in (rows[0] if rows else [])]
        out[name] = {"headers": headers, "rows": [[cell(v) for v in r] for r in rows[1:]]}
    json.dump(out, sys.stdout)


main()
