using System.Net;
using System.Text.RegularExpressions;

namespace LabelPlatform.Tests.Infrastructure;

/// <summary>Posts forms the way a browser does: first GET the page for its antiforgery token.</summary>
public static partial class FormClientExtensions
{
    public static async Task<string> GetAntiforgeryTokenAsync(this HttpClient client, string pageUrl)
    {
        var html = await client.GetStringAsync(pageUrl);
        var match = TokenPattern().Match(html);
        Assert.True(match.Success, $"No antiforgery token on {pageUrl}");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    /// <summary>GETs <paramref name="url"/> (without query handler) for a token, then POSTs the fields to it.</summary>
    public static async Task<HttpResponseMessage> PostFormAsync(this HttpClient client, string url, Dictionary<string, string> fields, string? tokenPage = null)
    {
        var token = await client.GetAntiforgeryTokenAsync(tokenPage ?? url);
        var content = new FormUrlEncodedContent(fields.Append(new("__RequestVerificationToken", token)));
        return await client.PostAsync(url, content);
    }

    public static async Task<HttpResponseMessage> PostMultipartAsync(this HttpClient client, string url, string tokenPage, Action<MultipartFormDataContent> fill)
    {
        var token = await client.GetAntiforgeryTokenAsync(tokenPage);
        var content = new MultipartFormDataContent();
        fill(content);
        content.Add(new StringContent(token), "__RequestVerificationToken");
        return await client.PostAsync(url, content);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
