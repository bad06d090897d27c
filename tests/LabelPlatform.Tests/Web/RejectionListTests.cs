using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Web;

/// <summary>Every rejection reason and item error is visible: paged past the first 200, and all of them in the CSV.</summary>
public class RejectionListTests
{
    private const string Formula = "=HYPERLINK(\"http://evil.test\",\"click\")";

    [Fact]
    public async Task All_rejected_files_are_paged_and_exported_with_formulas_neutralised()
    {
        await using var factory = new PlatformFactory();
        var admin = await factory.SignInAdminAsync();
        var dataset = await factory.Services.GetRequiredService<DatasetService>().GetOrCreateAsync("many-rejects", null, "test");
        using (var scope = factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
            db.RejectedFiles.AddRange(Enumerable.Range(0, 450).Select(i => new RejectedFile
            {
                DatasetId = dataset.Id, Origin = i == 0 ? Formula : $"folder/file-{i:D4}.jpg", Reason = $"reason {i:D4}", CreatedAt = DateTimeOffset.UtcNow,
            }));
            await db.SaveChangesAsync();
        }

        var details = await admin.GetStringAsync($"/Datasets/Details/{dataset.Id}");
        var first = await admin.GetStringAsync($"/Datasets/Rejected/{dataset.Id}");
        var last = await admin.GetStringAsync($"/Datasets/Rejected/{dataset.Id}?p=3");
        var csv = await admin.GetStringAsync($"/Datasets/Rejected/{dataset.Id}?handler=Csv");

        Assert.Contains("id=\"all-rejected\"", details, StringComparison.Ordinal);
        Assert.Contains("reason 0449", first, StringComparison.Ordinal); // newest first
        Assert.DoesNotContain("reason 0249", first, StringComparison.Ordinal);
        Assert.Contains("Page 1 of 3", first, StringComparison.Ordinal);
        Assert.Contains("reason 0001", last, StringComparison.Ordinal); // the oldest, past the first 200 and 400
        Assert.Contains("Page 3 of 3", last, StringComparison.Ordinal);
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(451, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("\"'=HYPERLINK(", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith('=') || l.StartsWith("\"=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task All_item_errors_of_a_job_run_are_paged_and_exported()
    {
        await using var factory = new PlatformFactory();
        var admin = await factory.SignInAdminAsync();
        long runId;
        using (var scope = factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
            var run = new JobRun { Kind = JobKinds.Import, State = JobState.Succeeded, CreatedAt = DateTimeOffset.UtcNow };
            db.JobRuns.Add(run);
            await db.SaveChangesAsync();
            runId = run.Id;
            db.JobRunItemErrors.AddRange(Enumerable.Range(0, 650).Select(i => new JobRunItemError
            {
                JobRunId = runId, Item = i == 0 ? Formula : $"item-{i:D4}", Message = $"error {i:D4}", CreatedAt = DateTimeOffset.UtcNow,
            }));
            await db.SaveChangesAsync();
        }

        var page4 = await admin.GetStringAsync($"/Admin/Jobs/Details/{runId}?errors=4");
        var csv = await admin.GetStringAsync($"/Admin/Jobs/Details/{runId}?handler=ErrorsCsv");

        Assert.Contains("error 0649", page4, StringComparison.Ordinal); // past the 500 shown before
        Assert.Contains("Page 4 of 4", page4, StringComparison.Ordinal);
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(651, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("\"'=HYPERLINK(", StringComparison.Ordinal));
    }
}
