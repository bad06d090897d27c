using System.Globalization;
using System.Text;
using AngleSharp.Html;
using AngleSharp.Html.Parser;
using AngleSharp.Html.Parser.Tokens;
using AngleSharp.Text;

namespace LabelPlatform.Core.Crawling;

/// <summary>An image reference found on a page, with its alt text when there was one.</summary>
public sealed record FoundImage(Uri Url, string? Alt);

public sealed record PageExtract(string? Title, IReadOnlyList<Uri> Links, IReadOnlyList<FoundImage> Images, bool Truncated);

/// <summary>
/// Pulls links and image references out of HTML with AngleSharp's tokenizer alone: no DOM is built and no resource
/// is loaded, so time and memory grow linearly with the page whatever its nesting (a tree builder checks scopes along
/// the stack of open elements, which is quadratic on 100,000 nested elements, and DOM queries recurse). Reads
/// &lt;img src&gt;, srcset (largest candidate), &lt;picture&gt;&lt;source srcset&gt;, &lt;a href&gt; to image files,
/// og:image, &lt;a href&gt; links, &lt;base href&gt; and the title.
/// </summary>
public static class HtmlExtractor
{
    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp"];

    public static PageExtract Extract(string html, Uri pageUrl, int maxTokens, CancellationToken cancellationToken)
    {
        var tokenizer = new HtmlTokenizer(new TextSource(html), HtmlEntityProvider.Resolver);
        var baseUrl = pageUrl;
        var baseSeen = false;
        var links = new List<Uri>();
        var seenLinks = new HashSet<string>(StringComparer.Ordinal);
        var images = new List<FoundImage>();
        var seenImages = new HashSet<string>(StringComparer.Ordinal);
        StringBuilder? title = null;
        string? finalTitle = null;
        var inPicture = false;
        var truncated = false;

        void AddImage(string? raw, string? alt)
        {
            if (UrlNormalizer.Normalize(raw, baseUrl) is { } url && seenImages.Add(url.AbsoluteUri))
            {
                images.Add(new FoundImage(url, string.IsNullOrWhiteSpace(alt) ? null : Clip(alt.Trim(), 1000)));
            }
        }

        for (var count = 0; ; count++)
        {
            if (count >= maxTokens)
            {
                truncated = true;
                break;
            }

            if ((count & 4095) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var token = tokenizer.Get();
            if (token.Type == HtmlTokenType.EndOfFile)
            {
                break;
            }

            if (token.Type == HtmlTokenType.Character)
            {
                title?.Append(token.Data);
                continue;
            }

            if (token.Type == HtmlTokenType.EndTag)
            {
                switch (token.Name)
                {
                    case "title" when title is not null:
                        finalTitle ??= Clip(string.Join(' ', title.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)), 500);
                        title = null;
                        break;
                    case "picture":
                        inPicture = false;
                        break;
                }

                continue;
            }

            if (token.Type != HtmlTokenType.StartTag)
            {
                continue;
            }

            var tag = (HtmlTagToken)token;
            switch (tag.Name)
            {
                // The tree builder would switch the tokenizer's state for these; without it, do it here.
                case "title":
                    tokenizer.State = HtmlParseMode.RCData;
                    title = finalTitle is null ? new StringBuilder() : null;
                    break;
                case "textarea":
                    tokenizer.State = HtmlParseMode.RCData;
                    break;
                case "script":
                    tokenizer.State = HtmlParseMode.Script;
                    break;
                case "style" or "xmp" or "iframe" or "noembed" or "noframes":
                    tokenizer.State = HtmlParseMode.Rawtext;
                    break;
                case "plaintext":
                    tokenizer.State = HtmlParseMode.Plaintext;
                    break;
                case "base" when !baseSeen:
                    baseSeen = true;
                    if (UrlNormalizer.Normalize(tag.GetAttribute("href"), pageUrl) is { } b)
                    {
                        baseUrl = b;
                    }

                    break;
                case "picture":
                    inPicture = true;
                    break;
                case "source" when inPicture:
                    AddImage(LargestCandidate(tag.GetAttribute("srcset")), null);
                    break;
                case "img":
                    var alt = tag.GetAttribute("alt");
                    var src = tag.GetAttribute("src");
                    AddImage(string.IsNullOrWhiteSpace(src) ? tag.GetAttribute("data-src") : src, alt);
                    AddImage(LargestCandidate(tag.GetAttribute("srcset")), alt);
                    break;
                case "meta":
                    var property = (NullIfEmpty(tag.GetAttribute("property")) ?? tag.GetAttribute("name"))?.Trim().ToLowerInvariant();
                    if (property is "og:image" or "og:image:url" or "og:image:secure_url")
                    {
                        AddImage(tag.GetAttribute("content"), null);
                    }

                    break;
                case "a" or "area":
                    var href = tag.GetAttribute("href");
                    if (UrlNormalizer.Normalize(href, baseUrl) is { } target)
                    {
                        if (ImageExtensions.Any(e => target.AbsolutePath.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
                        {
                            AddImage(target.AbsoluteUri, NullIfEmpty(tag.GetAttribute("title")));
                        }
                        else if (seenLinks.Add(target.AbsoluteUri))
                        {
                            links.Add(target);
                        }
                    }

                    break;
            }
        }

        if (title is not null && finalTitle is null)
        {
            finalTitle = Clip(title.ToString().Trim(), 500);
        }

        return new PageExtract(string.IsNullOrWhiteSpace(finalTitle) ? null : finalTitle, links, images, truncated);
    }

    /// <summary>The srcset candidate with the largest width ("800w") or density ("2x"); null for an empty set.</summary>
    public static string? LargestCandidate(string? srcset)
    {
        if (string.IsNullOrWhiteSpace(srcset))
        {
            return null;
        }

        string? best = null;
        var bestScore = double.MinValue;
        var i = 0;
        while (i < srcset.Length)
        {
            while (i < srcset.Length && (char.IsWhiteSpace(srcset[i]) || srcset[i] == ','))
            {
                i++;
            }

            var start = i;
            while (i < srcset.Length && !char.IsWhiteSpace(srcset[i]))
            {
                i++;
            }

            var url = srcset[start..i];
            var descriptor = "";
            if (url.EndsWith(','))
            {
                url = url.TrimEnd(',');
            }
            else
            {
                var descriptorStart = i;
                while (i < srcset.Length && srcset[i] != ',')
                {
                    i++;
                }

                descriptor = srcset[descriptorStart..i].Trim();
            }

            if (url.Length == 0)
            {
                continue;
            }

            // Widths outrank densities: a "w" candidate says how big the file is; "1x" is the default.
            var score = 1.0;
            if (descriptor.EndsWith('w') && double.TryParse(descriptor[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var w))
            {
                score = 1_000_000 + w;
            }
            else if (descriptor.EndsWith('x') && double.TryParse(descriptor[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var x))
            {
                score = x;
            }

            if (score > bestScore)
            {
                (best, bestScore) = (url, score);
            }
        }

        return best;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..max];
}
