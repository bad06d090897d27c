using System.Net;
using LabelPlatform.Tests.Infrastructure;

namespace LabelPlatform.Tests.Web;

public class SmokeTests : IDisposable
{
    private readonly PlatformFactory _factory = new();

    [Fact]
    public async Task Health_is_anonymous_and_checks_database_and_hangfire()
    {
        var client = _factory.CreateBrowserClient();
        var response = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Admin_signs_in_and_sees_datasets()
    {
        var client = await _factory.SignInAdminAsync();
        var response = await client.GetAsync("/Datasets");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("New dataset", await response.Content.ReadAsStringAsync());
    }

    public void Dispose() => _factory.Dispose();
}
