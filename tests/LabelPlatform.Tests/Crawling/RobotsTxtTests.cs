using LabelPlatform.Core.Crawling;

namespace LabelPlatform.Tests.Crawling;

/// <summary>RFC 9309's own examples, Google's longest-match table, and cases from Scrapy's Protego and StormCrawler.</summary>
public class RobotsTxtTests
{
    // RFC 9309 section 5.1 (the complete example).
    private const string RfcExample = """
        User-Agent: *
        Disallow: *.gif$
        Disallow: /example/
        Allow: /publications/

        User-Agent: foobot
        Disallow:/
        Allow:/example/page.html
        Allow:/example/allowed.gif

        User-Agent: barbot
        User-Agent: bazbot
        Disallow: /example/page.html

        User-Agent: quxbot

        EOF
        """;

    [Theory]
    [InlineData("foobot", "/example/page.html", true)]
    [InlineData("foobot", "/example/allowed.gif", true)]
    [InlineData("foobot", "/other", false)]
    [InlineData("FooBot", "/other", false)] // product tokens match case-insensitively
    [InlineData("barbot", "/example/page.html", false)]
    [InlineData("bazbot", "/example/page.html", false)]
    [InlineData("barbot", "/example/other.html", true)]
    [InlineData("quxbot", "/example/page.html", true)] // its own empty group: everything allowed, "*" does not apply
    [InlineData("otherbot", "/image.gif", false)]
    [InlineData("otherbot", "/image.gif?x=1", true)] // "$" anchors the end
    [InlineData("otherbot", "/example/x", false)]
    [InlineData("otherbot", "/publications/", true)]
    [InlineData("otherbot", "/robots.txt", true)]
    public void Rfc_9309_example(string agent, string path, bool allowed) =>
        Assert.Equal(allowed, RobotsTxt.Parse(RfcExample).Check(agent, path).Allowed);

    [Fact]
    public void A_byte_order_mark_and_crlf_line_ends_do_not_hide_the_first_group()
    {
        var robots = RobotsTxt.Parse("\uFEFFUser-agent: *\r\nDisallow: /private\r\n");

        Assert.False(robots.Check("labelplatform", "/private/x").Allowed);
        Assert.True(robots.Check("labelplatform", "/public").Allowed);
    }

    // RFC 9309 section 5.2: the longest match wins.
    [Theory]
    [InlineData("/example/page/", true)]
    [InlineData("/example/page/disallowed.gif", false)]
    public void Rfc_9309_longest_match(string path, bool allowed)
    {
        var robots = RobotsTxt.Parse("User-Agent: foobot\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n");
        Assert.Equal(allowed, robots.Check("foobot", path).Allowed);
    }

    // RFC 9309 section 2.2.2: percent-encoding and special characters.
    [Theory]
    [InlineData("/path/file-with-a-%2A.html", "/path/file-with-a-*.html", true)]
    [InlineData("/path/foo-%24", "/path/foo-$", true)]
    [InlineData("/foo/bar?baz=quz", "/foo/bar?baz=quz", true)]
    [InlineData("/foo/bar/ツ", "/foo/bar/%E3%83%84", true)]
    [InlineData("/foo/bar/%E3%83%84", "/foo/bar/ツ", true)]
    [InlineData("/foo/bar/%62%61%7A", "/foo/bar/baz", true)] // unreserved escapes decode
    [InlineData("/foo/bar/baz", "/foo/bar/%62%61%7A", true)]
    [InlineData("/Foo", "/foo", false)] // paths are case-sensitive
    public void Rfc_9309_encoding(string rule, string path, bool disallowed) =>
        Assert.Equal(!disallowed, RobotsTxt.Parse($"User-agent: *\nDisallow: {rule}\n").Check("anybot", path).Allowed);

    // Google's table of precedence (also Protego's and StormCrawler's tests).
    [Theory]
    [InlineData("allow: /p\ndisallow: /", "/page", true)]
    [InlineData("allow: /folder\ndisallow: /folder", "/folder/page", true)] // tie: Allow wins
    [InlineData("allow: /page\ndisallow: /*.htm", "/page.htm", false)]
    [InlineData("allow: /$\ndisallow: /", "/", true)]
    [InlineData("allow: /$\ndisallow: /", "/page.htm", false)]
    [InlineData("disallow: /*.php$", "/index.php", false)]
    [InlineData("disallow: /*.php$", "/index.php5", true)]
    [InlineData("disallow: /fish*", "/fishheads/yummy.html", false)]
    [InlineData("disallow: /fish*", "/Fish.asp", true)]
    [InlineData("disallow: /*/private/*/x", "/a/private/b/x", false)]
    [InlineData("disallow: /*/private/*/x", "/a/private/b", true)]
    [InlineData("disallow: /a**b", "/a-x-b", false)]
    [InlineData("disallow:", "/anything", true)] // an empty Disallow is no rule
    [InlineData("disallow: /\nallow: /*?", "/search?q=1", true)]
    public void Longest_match_with_wildcards(string rules, string path, bool allowed) =>
        Assert.Equal(allowed, RobotsTxt.Parse("user-agent: *\n" + rules + "\n").Check("LabelPlatformBot", path).Allowed);

    [Fact]
    public void Groups_for_the_same_agent_are_merged_and_the_specific_group_beats_star()
    {
        var robots = RobotsTxt.Parse("""
            User-agent: *
            Disallow: /

            User-agent: LabelPlatformBot/1.0
            Disallow: /a/

            User-agent: other
            Disallow: /b/

            user-agent: labelplatformbot
            disallow: /c/ # comments are ignored
            crawl-delay: 2.5
            """);
        Assert.True(robots.Check("LabelPlatformBot", "/b/").Allowed);
        Assert.False(robots.Check("LabelPlatformBot", "/a/x").Allowed);
        Assert.False(robots.Check("LabelPlatformBot", "/c/x").Allowed);
        Assert.False(robots.Check("SomeoneElse", "/b/").Allowed);
        Assert.Equal(TimeSpan.FromSeconds(2.5), robots.CrawlDelay("LabelPlatformBot"));
        Assert.Null(robots.CrawlDelay("SomeoneElse"));
    }

    [Fact]
    public void Rules_before_any_user_agent_and_garbage_lines_are_ignored()
    {
        var robots = RobotsTxt.Parse("Disallow: /\n<html><body>not robots</body></html>\nUser-agent: *\r\nDisallow: /x\r\n");
        Assert.True(robots.Check("bot", "/y").Allowed);
        Assert.False(robots.Check("bot", "/x").Allowed);
    }

    [Fact]
    public void Decision_names_the_rule_and_line()
    {
        var decision = RobotsTxt.Parse("User-agent: *\nAllow: /\nDisallow: /private/\n").Check("bot", "/private/page");
        Assert.False(decision.Allowed);
        Assert.Contains("line 3", decision.Reason, StringComparison.Ordinal);
        Assert.Contains("/private/", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Whole_file_outcomes()
    {
        Assert.True(RobotsTxt.AllowAll("404").Check("bot", "/x").Allowed);
        Assert.False(RobotsTxt.DisallowAll("503").Check("bot", "/x").Allowed);
        Assert.True(RobotsTxt.Parse("").Check("bot", "/x").Allowed);
    }

    [Fact]
    public void A_huge_file_is_parsed_in_linear_time()
    {
        var lines = string.Join('\n', Enumerable.Range(0, 20_000).Select(i => $"Disallow: /dir{i}/*/x*y$"));
        var robots = RobotsTxt.Parse("User-agent: *\n" + lines + "\nDisallow: /last\n");
        Assert.False(robots.Check("bot", "/last").Allowed);
        Assert.False(robots.Check("bot", "/dir19999/a/xzy").Allowed);
        Assert.True(robots.Check("bot", "/dir19999/a/xzyz").Allowed);
    }
}
