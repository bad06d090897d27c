namespace LabelPlatform.Core.Data;

/// <summary>One text cell of a CSV export (RFC 4180 quoting), safe to open in a spreadsheet.</summary>
public static class CsvCell
{
    // A cell a spreadsheet would read as a formula (OWASP "CSV injection"): =HYPERLINK(...), +cmd, -2+3, @SUM, or a
    // leading tab or carriage return that hides one of those.
    private static readonly char[] FormulaStarts = ['=', '+', '-', '@', '\t', '\r'];

    private static readonly char[] NeedsQuotes = [',', '"', '\n', '\r'];

    /// <summary>
    /// The value as a CSV cell: a leading formula character gets an apostrophe in front, so spreadsheets show the
    /// text instead of running it; commas, quotes and line breaks are quoted. For text from users and files only;
    /// numbers the platform writes need neither.
    /// </summary>
    public static string Text(string? value)
    {
        value ??= "";
        if (value.Length > 0 && Array.IndexOf(FormulaStarts, value[0]) >= 0)
        {
            value = "'" + value;
        }

        return value.IndexOfAny(NeedsQuotes) >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
    }
}
