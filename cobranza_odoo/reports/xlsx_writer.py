"""A small streaming XLSX writer for the collections exports.

Rows are written one by one in xlsxwriter's constant-memory mode, to a temporary file: the
whole export never sits in memory, whatever its number of rows. Numeric columns get a total
row; the header is frozen and filterable.
"""

import xlsxwriter


class StreamingSheet:
    """One worksheet written row by row. ``columns``: [(title, kind, width)], kind in text/date/int/money."""

    def __init__(self, workbook, name, title, columns, currency_format="#,##0.00"):
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
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "int": workbook.add_format({"num_format": "0"}),
            "money": workbook.add_format({"num_format": currency_format}),
            "total_label": workbook.add_format({"bold": True, "top": 2}),
            "total_money": workbook.add_format({"bold": True, "top": 2, "num_format": currency_format}),
            "total_int": workbook.add_format({"bold": True, "top": 2, "num_format": "0"}),
        }
        self.totals = [0 for _column in columns]
        self.row = 0
        self.sheet.write(self.row, 0, title, self.formats["title"])
        self.row = 2
        self.header_row = self.row
        for index, (column_title, _kind, width) in enumerate(columns):
            self.sheet.set_column(index, index, width)
            self.sheet.write(self.row, index, column_title, self.formats["header"])
        self.sheet.freeze_panes(self.row + 1, 0)
        self.row += 1
        self.first_data_row = self.row

    def write(self, values):
        for index, ((_title, kind, _width), value) in enumerate(zip(self.columns, values, strict=True)):
            if value is None or value is False:
                continue
            if kind in ("money", "int"):
                self.totals[index] += value
                self.sheet.write_number(self.row, index, value, self.formats[kind])
            elif kind == "date":
                self.sheet.write_datetime(self.row, index, value, self.formats["date"])
            else:
                self.sheet.write_string(self.row, index, str(value), self.formats["text"])
        self.row += 1

    def close(self, total_label="Total"):
        last_data_row = self.row - 1
        self.sheet.write(self.row, 0, total_label, self.formats["total_label"])
        for index, (_title, kind, _width) in enumerate(self.columns):
            if kind in ("money", "int") and index:
                self.sheet.write_number(self.row, index, self.totals[index], self.formats[f"total_{kind}"])
        self.sheet.autofilter(self.header_row, 0, max(last_data_row, self.header_row), len(self.columns) - 1)


def open_workbook(path):
    return xlsxwriter.Workbook(path, {"constant_memory": True, "default_date_format": "yyyy-mm-dd"})
