using LabelPlatform.Core.Data;
using LabelPlatform.Testing;
using LabelPlatform.Tests.Infrastructure;
using LabelPlatform.Web.Cli;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Cli;

/// <summary>The CLI's delete verbs use the pages' services: without --yes they print the effect and change nothing.</summary>
public class DeleteCliTests
{
    [Fact]
    public async Task Delete_dataset_prints_its_counts_and_deletes_only_with_yes()
    {
        await using var platform = await CorePlatform.StartAsync();
        var data = await EvaluationSeed.CreateAsync(platform.Services, "cli-delete", classes: 2, perClass: 5);
        // The CLI opens the platform's own database: its SQLite file, or on the PostgreSQL pass its test database.
        var settings = TestDatabase.Apply(platform.Database, new Dictionary<string, string?>
        {
            ["Storage:DataDirectory"] = platform.DataDirectory,
            ["Identity:Admin:Email"] = "admin@core.test",
            ["Identity:Admin:Password"] = "Admin-Passw0rd!",
        });
        async Task<(int Code, string Out, string Err)> Run(params string[] args)
        {
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            var code = await PlatformCli.RunAsync(args, stdout, stderr, settings);
            return (code, stdout.ToString(), stderr.ToString());
        }

        async Task<int> ImagesAsync()
        {
            using var scope = platform.Services.CreateScope();
            return await scope.ServiceProvider.GetRequiredService<PlatformDbContext>().Images.CountAsync(i => i.DatasetId == data.DatasetId);
        }

        var id = data.DatasetId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var dry = await Run("delete-dataset", "--id", id);
        Assert.Equal(3, dry.Code);
        Assert.Contains("would delete dataset cli-delete", dry.Out, StringComparison.Ordinal);
        Assert.Contains("10 image(s)", dry.Out, StringComparison.Ordinal);
        Assert.Contains("10 embedding(s)", dry.Out, StringComparison.Ordinal);
        Assert.Equal(10, await ImagesAsync());

        var missing = await Run("delete-model", "--id", "999999", "--yes");
        Assert.Equal(2, missing.Code);

        var done = await Run("delete-dataset", "--id", id, "--yes");
        Assert.Equal(0, done.Code);
        Assert.Contains("deleted dataset cli-delete", done.Out, StringComparison.Ordinal);
        Assert.Equal(0, await ImagesAsync());
    }
}
