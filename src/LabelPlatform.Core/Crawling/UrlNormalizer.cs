using System.Text.RegularExpressions;

namespace LabelPlatform.Core.Crawling;

/// <summary>
/// One spelling per URL, so the frontier never holds the same page twice: absolute, http or https only, lower-case
/// scheme and host, no default port, dot segments resolved, an empty path as "/", percent escapes upper-case, no
/// fragment.
/// </summary>
public static partial class UrlNormalizer
{
    /// <summary>Longer URLs are refused: real pages do not need them and they bloat the frontier.</summary>
    public const int MaxLength = 2048;

    public static Uri? Normalize(string? raw, Uri? baseUri = null)
    {
        var text = raw?.Trim();
        if (string.IsNullOrEmpty(text) || text.Length > MaxLength)
        {
            return null;
        }

        Uri? uri;
        if (baseUri is null ? !Uri.TryCreate(text, UriKind.Absolute, out uri) : !Uri.TryCreate(baseUri, text, out uri))
        {
            return null;
        }

        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps || string.IsNullOrEmpty(uri.Host) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            return null;
        }

        var withoutFragment = uri.GetLeftPart(UriPartial.Query);
        var normalised = PercentEscape().Replace(withoutFragment, m => m.Value.ToUpperInvariant());
        return normalised.Length <= MaxLength && Uri.TryCreate(normalised, UriKind.Absolute, out var result) ? result : null;
    }

    /// <summary>Host plus a non-default port: the unit of politeness and of robots.txt.</summary>
    public static string Authority(Uri uri)
    {
        // IdnHost drops an IPv6 literal's brackets, and "http://::1/robots.txt" is no URL.
        var host = uri.HostNameType == UriHostNameType.IPv6 ? $"[{uri.IdnHost}]" : uri.IdnHost;
        return uri.IsDefaultPort ? host : $"{host}:{uri.Port}";
    }

    [GeneratedRegex("%[0-9a-fA-F]{2}")]
    private static partial Regex PercentEscape();
}
