using LabelPlatform.Web.Pages.Admin.Crawls;

namespace LabelPlatform.Tests.Web;

public class CrawlFormTests
{
    [Fact]
    public void Seed_urls_split_on_lines_and_spaces_but_keep_their_commas() =>
        Assert.Equal(["https://a.test/list?ids=1,2", "https://b.test/", "https://c.test/x"],
            IndexModel.SplitUrls("https://a.test/list?ids=1,2\r\n  https://b.test/ \n\nhttps://c.test/x\t"));

    [Fact]
    public void Allowed_domains_split_on_commas_too() =>
        Assert.Equal(["a.test", "b.test", "c.test"], IndexModel.SplitList("a.test, b.test\nc.test"));
}
