using System.Text;
using System.Text.RegularExpressions;
using System.Text.Unicode;

namespace LabelPlatform.Core.Crawling;

/// <summary>
/// Turns a fetched page's bytes into text the way browsers pick the encoding (WHATWG "determine the character
/// encoding", simplified): a byte order mark, then the Content-Type header's charset, then a &lt;meta&gt; charset in the
/// first 1,024 bytes, then UTF-8 when the bytes are valid UTF-8 and windows-1252 when they are not. Without this, alt
/// text and titles of the many Latin-1 and Shift_JIS pages still on the web reach labellers as replacement characters.
/// </summary>
public static partial class HtmlDecoding
{
    private const int PrescanBytes = 1024;

    static HtmlDecoding() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public static (string Text, Encoding Encoding, string Source) Decode(byte[] body, string? headerCharset)
    {
        ArgumentNullException.ThrowIfNull(body);
        var span = body.AsSpan();
        if (span.StartsWith<byte>([0xEF, 0xBB, 0xBF]))
        {
            return (Encoding.UTF8.GetString(span[3..]), Encoding.UTF8, "byte order mark");
        }

        if (span.StartsWith<byte>([0xFE, 0xFF]))
        {
            return (Encoding.BigEndianUnicode.GetString(span[2..]), Encoding.BigEndianUnicode, "byte order mark");
        }

        if (span.StartsWith<byte>([0xFF, 0xFE]))
        {
            return (Encoding.Unicode.GetString(span[2..]), Encoding.Unicode, "byte order mark");
        }

        if (Resolve(headerCharset, fromHeader: true) is { } declared)
        {
            return (declared.GetString(span), declared, "Content-Type header");
        }

        if (Resolve(SniffMeta(span[..Math.Min(span.Length, PrescanBytes)])) is { } meta)
        {
            return (meta.GetString(span), meta, "meta charset");
        }

        var fallback = Utf8.IsValid(span) ? Encoding.UTF8 : Encoding.GetEncoding(1252);
        return (fallback.GetString(span), fallback, "default");
    }

    /// <summary>An encoding for a charset label, or null when the label is missing or unknown.</summary>
    /// <param name="label">The charset label.</param>
    /// <param name="fromHeader">From the Content-Type header, where a UTF-16 label means UTF-16 (in a page's own
    /// ASCII-compatible bytes it cannot, and means UTF-8).</param>
    public static Encoding? Resolve(string? label, bool fromHeader = false)
    {
        var name = label?.Trim().Trim('"', '\'').ToLowerInvariant();
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }

        switch (name)
        {
            // The WHATWG Encoding Standard maps these labels to windows-1252, as browsers do.
            case "latin1" or "iso-8859-1" or "iso8859-1" or "iso_8859-1" or "l1" or "ascii" or "us-ascii" or "cp1252" or "windows-1252" or "x-cp1252":
                return Encoding.GetEncoding(1252);
            case "utf8" or "utf-8" or "unicode-1-1-utf-8":
                return Encoding.UTF8;
            case "utf-16be" when fromHeader:
                return Encoding.BigEndianUnicode;
            case "utf-16" or "utf-16le" or "unicode" when fromHeader:
                return Encoding.Unicode;
            // A page cannot declare UTF-16 in ASCII-compatible bytes; browsers read such a declaration as UTF-8.
            case "utf-16" or "utf-16le" or "utf-16be" or "unicode":
                return Encoding.UTF8;
        }

        try
        {
            return Encoding.GetEncoding(name);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The charset named by a &lt;meta charset&gt; or &lt;meta http-equiv content="...; charset=..."&gt; in ASCII-compatible bytes.</summary>
    public static string? SniffMeta(ReadOnlySpan<byte> head)
    {
        var text = Encoding.Latin1.GetString(head);
        var match = MetaCharset().Match(text);
        return match.Success ? match.Groups["name"].Value : null;
    }

    [GeneratedRegex("""<meta\b[^>]*?charset\s*=\s*["']?\s*(?<name>[A-Za-z0-9_:.+-]+)""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MetaCharset();
}
