using System.Text.RegularExpressions;
using LabelPlatform.Core.Identity;
using LabelPlatform.Tests.Infrastructure;

namespace LabelPlatform.Tests.Web;

/// <summary>Every answer carries the security headers; no page relies on inline script the policy forbids.</summary>
public partial class SecurityHeadersTests : IClassFixture<RoleMatrixFixture>
{
    private readonly RoleMatrixFixture _fixture;

    public SecurityHeadersTests(RoleMatrixFixture fixture) => _fixture = fixture;

    [Theory]
    [InlineData("/Account/Login", "Anonymous")]
    [InlineData("/", Roles.Admin)]
    [InlineData("/Datasets", Roles.Labeller)]
    [InlineData("/api/label/999999/next", Roles.Labeller)]
    [InlineData("/no-such-page", Roles.Admin)]
    [InlineData("/health", "Anonymous")]
    [InlineData("/hangfire", Roles.Admin)]
    public async Task Answers_carry_the_security_headers(string path, string role)
    {
        var response = await _fixture.Clients[role].GetAsync(path);

        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("object-src 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        Assert.DoesNotMatch("script-src[^;]*unsafe-inline", csp);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("same-origin", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
    }

    public static TheoryData<string> PagesWithScript() =>
    [
        "/", "/Datasets", "/Datasets/Details/{dataset}", "/Search", "/Label/Work/{eval-dataset}", "/Label/Grid/{eval-dataset}",
        "/Review/Queue/{eval-dataset}", "/Evaluation/Report/{evaluation}", "/Admin/Jobs", "/Admin/Models", "/Admin/Users",
        "/Admin/Crawls", "/Admin/Training", "/Admin/Evaluations",
    ];

    [Theory]
    [MemberData(nameof(PagesWithScript))]
    public async Task Pages_have_no_inline_script_or_handlers(string path)
    {
        var html = await _fixture.Clients[Roles.Admin].GetStringAsync(_fixture.Expand(path));

        Assert.DoesNotMatch(InlineScript(), html);
        Assert.DoesNotMatch(HandlerAttribute(), html);
        Assert.DoesNotContain("javascript:", html, StringComparison.OrdinalIgnoreCase);
    }

    // A script element without src whose type would execute (JSON data blocks are not scripts, but the pages keep
    // data in attributes anyway).
    [GeneratedRegex("<script(?![^>]*\\bsrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex("<[a-z][^>]*\\son[a-z]+\\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex HandlerAttribute();
}
