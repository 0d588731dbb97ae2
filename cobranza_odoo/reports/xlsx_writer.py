"""A small streaming XLSX writer for the collections exports.

Rows are written one by one in xlsxwriter's constant-memory mode, to a temporary file: the
whole export never sits in memory, whatever its number of rows. Money columns get a total
row (days, counts and installment numbers are not summed); codes are written as their
translated labels; the header is frozen and filterable.
"""

from dataclasses import dataclass, field

import xlsxwriter


@dataclass(frozen=True)
class Column:
    """One column: ``kind`` is text, date, int (not totalled), money (totalled) or label (a code
    written as its label from ``labels``)."""

    title: str
    kind: str = "text"
    width: int = 14
    labels: dict = field(default_factory=dict)


class StreamingSheet:
    """One worksheet written row by row."""

    def __init__(self, workbook, name, title, columns, currency_format="#,##0.00", date_format="dd/mm/yyyy"):
        self.workbook = workbook
        self.sheet = workbook.add_worksheet(name[:31])
        self.columns = columns
        self.formats = {
            "title": workbook.add_format({"bold": True, "font_size": 14}),
            "header": workbook.add_format(
                {
                    "bold": True,
                    "bg_color": "#115E59",
                    "font_color": "#FFFFFF",
                    "border": 1,
                    "text_wrap": True,
                    "valign": "vcenter",
                }
            ),
            "text": workbook.add_format({}),
            "date": workbook.add_format({"num_format": date_format}),
            "int": workbook.add_format({"num_format": "0"}),
            "money": workbook.add_format({"num_format": currency_format}),
            "total_label": workbook.add_format({"bold": True, "top": 2}),
            "total_money": workbook.add_format({"bold": True, "top": 2, "num_format": currency_format}),
            "total_blank": workbook.add_format({"top": 2}),
        }
        self.totals = [0.0 for _column in columns]
        self.row = 0
        self.sheet.write(self.row, 0, title, self.formats["title"])
        self.row = 2
        self.header_row = self.row
        for index, column in enumerate(columns):
            self.sheet.set_column(index, index, column.width)
            self.sheet.write(self.row, index, column.title, self.formats["header"])
        self.sheet.freeze_panes(self.row + 1, 0)
        self.row += 1

    def write(self, values):  # pylint: disable=method-required-super  # a spreadsheet row, not an Odoo model
        for index, (column, value) in enumerate(zip(self.columns, values, strict=True)):
            if value is None or value is False:
                continue
            if column.kind == "money":
                self.totals[index] += value
                self.sheet.write_number(self.row, index, value, self.formats["money"])
            elif column.kind == "int":
                self.sheet.write_number(self.row, index, value, self.formats["int"])
            elif column.kind == "date":
                self.sheet.write_datetime(self.row, index, value, self.formats["date"])
            elif column.kind == "label":
                self.sheet.write_string(self.row, index, str(column.labels.get(value, value)), self.formats["text"])
            else:
                self.sheet.write_string(self.row, index, str(value), self.formats["text"])
        self.row += 1

    def close(self, total_label="Total"):
        last_data_row = self.row - 1
        self.sheet.write(self.row, 0, total_label, self.formats["total_label"])
        for index, column in enumerate(self.columns):
            if not index:
                continue
            if column.kind == "money":
                self.sheet.write_number(self.row, index, self.totals[index], self.formats["total_money"])
            else:
                self.sheet.write_blank(self.row, index, None, self.formats["total_blank"])
        self.sheet.autofilter(self.header_row, 0, max(last_data_row, self.header_row), len(self.columns) - 1)


def open_workbook(path):
    return xlsxwriter.Workbook(path, {"constant_memory": True, "default_date_format": "dd/mm/yyyy"})
