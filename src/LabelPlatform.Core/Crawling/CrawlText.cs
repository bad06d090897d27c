namespace LabelPlatform.Core.Crawling;

internal static class CrawlText
{
    /// <summary>Fits text from a site into its column (null becomes empty).</summary>
    public static string Clip(string? text, int max) => text is null ? "" : text.Length <= max ? text : text[..max];
}
