using System.Net;
using System.Text.RegularExpressions;
using LabelPlatform.Core.Review;
using LabelPlatform.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Web;

/// <summary>
/// "Send to review" from the browser: the selection lands in the Flagged queue with who sent it and why, stays there
/// until a review decision is made on the image (from any page), and can be sent again after that decision.
/// </summary>
public partial class ReviewFlagTests(BrowseFixture fixture) : IClassFixture<BrowseFixture>
{
    private async Task<List<long>> FlaggedQueueAsync(int datasetId)
    {
        var html = await fixture.Admin.GetStringAsync($"/Review/Queue/{datasetId}?queue=flagged");
        Assert.Contains("id=\"tab-flagged\"", html, StringComparison.Ordinal);
        return [.. QueueItem().Matches(html).Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))];
    }

    [Fact]
    public async Task Sent_images_wait_in_the_flagged_queue_until_a_decision_clears_them()
    {
        var data = await fixture.SeedAsync();
        var chosen = new[] { data.ImageIds[4], data.ImageIds[17], data.ImageIds[33] };
        Assert.Empty(await FlaggedQueueAsync(data.DatasetId));

        var response = await fixture.PostAsync(data.DatasetId, "Flag", chosen, new() { ["Note"] = "looks like class b" });
        var page = await fixture.Admin.GetStringAsync(response.Headers.Location!.OriginalString);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("3 image(s) sent to review", page, StringComparison.Ordinal);
        Assert.Equal(chosen.Order(), (await FlaggedQueueAsync(data.DatasetId)).Order());
        var queue = await fixture.Admin.GetStringAsync($"/Review/Queue/{data.DatasetId}?queue=flagged");
        Assert.Contains("looks like class b", queue, StringComparison.Ordinal);
        Assert.Contains($"sent to review by {PlatformFactory.AdminEmail}", queue, StringComparison.Ordinal);

        // Sent again while waiting: counted as already there, not twice.
        var again = await fixture.PostAsync(data.DatasetId, "Flag", chosen.Take(1));
        Assert.Contains("0 image(s) sent to review, 1 already waiting there", await fixture.Admin.GetStringAsync(again.Headers.Location!.OriginalString), StringComparison.Ordinal);
        Assert.Equal(3, await fixture.ReadDbAsync(db => db.ReviewFlags.CountAsync(f => f.DatasetId == data.DatasetId)));

        // A decision from another page (the service every decision goes through) clears one; the others wait on.
        await fixture.DecideAsync(data.DatasetId, chosen[1], data.ClassIds[1]);
        Assert.Equal([chosen[0], chosen[2]], (await FlaggedQueueAsync(data.DatasetId)).Order());

        // Sent again after its decision: it waits again, against the new decision.
        await fixture.PostAsync(data.DatasetId, "Flag", [chosen[1]]);
        Assert.Equal(chosen.Order(), (await FlaggedQueueAsync(data.DatasetId)).Order());

        // Deleting an image takes its flag with it.
        await fixture.PostAsync(data.DatasetId, "Delete", [chosen[2]], new() { ["Understand"] = "true" });
        Assert.Equal([chosen[0], chosen[1]], (await FlaggedQueueAsync(data.DatasetId)).Order());
        Assert.Equal(0, await fixture.ReadDbAsync(db => db.ReviewFlags.CountAsync(f => f.ImageId == chosen[2])));
    }

    [Fact]
    public async Task The_flagged_queue_offers_the_votes_plurality_or_the_import_label_as_majority()
    {
        var data = await fixture.SeedAsync();
        var (voted, plain) = (data.ImageIds[2], data.ImageIds[3]);
        await fixture.VoteAsync(data.DatasetId, "u1", voted, data.ClassIds[2]);
        await fixture.PostAsync(data.DatasetId, "Flag", [voted, plain]);

        var page = await fixture.Factory.Services.GetRequiredService<ReviewDesk>().PageAsync(data.DatasetId, ReviewQueueNames.Flagged, 1);

        Assert.Equal(ReviewQueueNames.Flagged, page.Queue);
        Assert.Equal(2, page.Total);
        var byId = page.Items.ToDictionary(i => i.ImageId);
        Assert.Equal(data.ClassIds[2], byId[voted].Majority!.ClassId);
        Assert.Equal("1 of 1 votes", byId[voted].Majority!.Basis);
        Assert.Single(byId[voted].Votes);
        Assert.Equal(data.ClassIds[0], byId[plain].Majority!.ClassId); // images 0..19 are class a
        Assert.Equal("the import label", byId[plain].Majority!.Basis);
    }

    [Fact]
    public async Task Images_of_another_dataset_are_refused_and_nothing_is_flagged()
    {
        var data = await fixture.SeedAsync();
        var other = await fixture.SeedAsync();

        var response = await fixture.PostAsync(data.DatasetId, "Flag", [data.ImageIds[0], other.ImageIds[0]]);

        Assert.Contains("not in this dataset", await fixture.Admin.GetStringAsync(response.Headers.Location!.OriginalString), StringComparison.Ordinal);
        Assert.Equal(0, await fixture.ReadDbAsync(db => db.ReviewFlags.CountAsync(f => f.DatasetId == data.DatasetId || f.DatasetId == other.DatasetId)));
    }

    [GeneratedRegex("<div class=\"review-item\" data-image-id=\"(\\d+)\"")]
    private static partial Regex QueueItem();
}
