using System.Net;
using LabelPlatform.Tests.Infrastructure;

namespace LabelPlatform.Tests.Web;

public class SmokeTests : IDisposable
{
    private readonly PlatformFactory _factory = new();

    [Fact]
    public async Task Health_is_anonymous_and_checks_database_hangfire_and_the_int8_path()
    {
        var client = _factory.CreateBrowserClient();
        var response = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var health = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", health.RootElement.GetProperty("status").GetString());
        var checks = health.RootElement.GetProperty("checks");
        Assert.Equal(["database", "hangfire", "inference"], checks.EnumerateObject().Select(c => c.Name).Order(StringComparer.Ordinal));
        var inference = checks.GetProperty("inference").GetProperty("data");
        // The test host pins Embeddings:Int8DotProductsExact, and says so.
        Assert.True(inference.GetProperty("int8_dot_products_exact").GetBoolean());
        Assert.Equal("int8", inference.GetProperty("quantized_models_run_on").GetString());
        Assert.Contains("set by configuration", checks.GetProperty("inference").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal(LabelPlatform.Core.Hardware.CpuInfo.Current.Flags, inference.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
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
