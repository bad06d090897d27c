using System.Text;
using LabelPlatform.Core.Crawling;
using LabelPlatform.Core.Data;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Tests.Crawling;

/// <summary>Pages in other encodings than UTF-8: their alt text and titles reach labellers intact.</summary>
public class HtmlDecodingTests
{
    private static readonly Encoding Windows1252 = CodePagesEncodingProvider.Instance.GetEncoding(1252)!;
    private static readonly Encoding ShiftJis = CodePagesEncodingProvider.Instance.GetEncoding("shift_jis")!;

    [Fact]
    public void The_header_charset_wins_over_a_meta_and_the_default()
    {
        var bytes = Windows1252.GetBytes("<meta charset='utf-8'><title>Café crème</title>");
        var (text, encoding, source) = HtmlDecoding.Decode(bytes, "ISO-8859-1");
        Assert.Contains("Café crème", text, StringComparison.Ordinal);
        Assert.Equal((1252, "Content-Type header"), (encoding.CodePage, source));
    }

    [Fact]
    public void A_meta_charset_in_the_first_1024_bytes_is_used_when_the_header_names_none()
    {
        var page = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=Shift_JIS\"><title>東京の写真</title></head></html>";
        var (text, encoding, source) = HtmlDecoding.Decode(ShiftJis.GetBytes(page), null);
        Assert.Contains("東京の写真", text, StringComparison.Ordinal);
        Assert.Equal((ShiftJis.CodePage, "meta charset"), (encoding.CodePage, source));

        // Past the prescan window, a meta is not looked for (as in browsers): the bytes decide.
        var late = Windows1252.GetBytes(new string(' ', 1100) + "<meta charset=\"windows-1252\"><p>naïve</p>");
        var (lateText, lateEncoding, lateSource) = HtmlDecoding.Decode(late, null);
        Assert.Equal("default", lateSource);
        Assert.Equal(1252, lateEncoding.CodePage);
        Assert.Contains("naïve", lateText, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_declaration_valid_utf8_is_utf8_and_anything_else_windows_1252()
    {
        Assert.Equal("Zürich", HtmlDecoding.Decode(Encoding.UTF8.GetBytes("Zürich"), null).Text);
        Assert.Equal("Zürich", HtmlDecoding.Decode(Windows1252.GetBytes("Zürich"), null).Text);
        Assert.Equal("Zürich", HtmlDecoding.Decode([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("Zürich")], "windows-1252").Text);
        Assert.Equal("Zürich", HtmlDecoding.Decode([0xFF, 0xFE, .. Encoding.Unicode.GetBytes("Zürich")], null).Text);
    }

    [Theory]
    [InlineData("latin1", 1252)]
    [InlineData(" \"US-ASCII\" ", 1252)]
    [InlineData("utf8", 65001)]
    [InlineData("utf-16", 65001)]
    [InlineData("koi8-r", 20866)]
    [InlineData("no-such-charset", null)]
    [InlineData("", null)]
    public void Charset_labels_resolve_as_browsers_do(string label, int? codePage) =>
        Assert.Equal(codePage, HtmlDecoding.Resolve(label)?.CodePage);

    [Theory]
    [InlineData("utf-16le", false)]
    [InlineData("utf-16", false)]
    [InlineData("utf-16be", true)]
    public void A_utf16_page_named_by_its_header_without_a_byte_order_mark_is_read_as_utf16(string charset, bool bigEndian)
    {
        var encoding = bigEndian ? System.Text.Encoding.BigEndianUnicode : System.Text.Encoding.Unicode;

        var (text, used, source) = HtmlDecoding.Decode(encoding.GetBytes("<title>Zürich</title><a href='/x'>x</a>"), charset);

        Assert.Equal(("<title>Zürich</title><a href='/x'>x</a>", encoding.CodePage, "Content-Type header"), (text, used.CodePage, source));
    }

    [Fact]
    public async Task A_latin1_page_keeps_its_accented_alt_text_and_title_in_the_provenance()
    {
        await using var site = await RecordingSite.StartAsync(app =>
        {
            app.MapGet("/robots.txt", () => Results.NotFound());
            app.MapGet("/", context =>
            {
                context.Response.ContentType = "text/html; charset=iso-8859-1";
                return context.Response.Body.WriteAsync(Windows1252.GetBytes("<title>Église Saint-Étienne</title><img src='/a.jpg' alt='façade côté nord'>")).AsTask();
            });
            app.MapGet("/a.jpg", context => RecordingSite.Bytes(context, "image/jpeg", Pictures.Jpeg(77)));
        });
        await using var platform = await CorePlatform.StartAsync(CrawlRunning.Settings());
        var crawls = platform.Get<CrawlService>();
        var (_, run) = await CrawlRunning.CreateAsync(platform, "latin1", crawls.BuildSettings([site.BaseUrl + "/"], 1, 5, 5, null));

        var summary = await CrawlRunning.RunAsync(platform, run.Id);

        Assert.Equal(1, summary!.Accepted);
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var provenance = await db.ImageProvenance.SingleAsync();
        Assert.Equal(("façade côté nord", "Église Saint-Étienne"), (provenance.AltText, provenance.PageTitle));
    }
}
