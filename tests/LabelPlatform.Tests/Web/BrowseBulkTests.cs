using System.Net;
using LabelPlatform.Core.Browsing;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Images;
using LabelPlatform.Core.Labelling;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Web;

/// <summary>The data browser's bulk actions: relabel and reject as review decisions, CSV export, delete with files, the cap.</summary>
public class BrowseBulkTests(BrowseFixture fixture) : IClassFixture<BrowseFixture>
{
    [Fact]
    public async Task Relabel_writes_one_review_event_and_final_label_per_image_and_a_resubmission_writes_nothing()
    {
        var data = await fixture.SeedAsync();
        var chosen = data.ImageIds.Take(3).ToList();
        var target = data.ClassIds[2];
        await fixture.DecideAsync(data.DatasetId, chosen[0], data.ClassIds[0]); // an earlier decision is replaced, not a conflict
        var (_, html) = await fixture.BrowseAsync(data.DatasetId);
        var batch = BrowseFixture.BatchOf(html);

        var response = await fixture.PostAsync(data.DatasetId, "Relabel", chosen, new() { ["ClassId"] = target.ToString() }, batch: batch);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var after = await fixture.Admin.GetStringAsync(response.Headers.Location!.OriginalString);
        Assert.Contains("3 image(s) relabelled", after, StringComparison.Ordinal);

        var finals = await fixture.ReadDbAsync(db => db.FinalLabels.Where(f => chosen.Contains(f.ImageId)).ToListAsync());
        Assert.Equal(3, finals.Count);
        Assert.All(finals, f => Assert.Equal((target, false), (f.ClassId, f.Rejected)));
        var events = await fixture.ReadDbAsync(db => db.LabelEvents.Where(e => e.DatasetId == data.DatasetId && e.Kind == LabelEventKind.Review && e.ClassId == target).ToListAsync());
        Assert.Equal(chosen.Order(), events.Select(e => e.ImageId).Order());

        // The same form again (same batch): stored, nothing written twice.
        await fixture.PostAsync(data.DatasetId, "Relabel", chosen, new() { ["ClassId"] = target.ToString() }, batch: batch);
        Assert.Equal(4, await fixture.ReadDbAsync(db => db.LabelEvents.CountAsync(e => e.DatasetId == data.DatasetId && e.Kind == LabelEventKind.Review)));
    }

    [Fact]
    public async Task Reject_sets_final_labels_to_rejected_and_relabel_without_a_class_changes_nothing()
    {
        var data = await fixture.SeedAsync();
        var chosen = data.ImageIds.Skip(5).Take(2).ToList();

        var none = await fixture.PostAsync(data.DatasetId, "Relabel", chosen);
        Assert.Contains("Choose the class", await fixture.Admin.GetStringAsync(none.Headers.Location!.OriginalString), StringComparison.Ordinal);
        Assert.Equal(0, await fixture.ReadDbAsync(db => db.FinalLabels.CountAsync(f => f.DatasetId == data.DatasetId)));

        await fixture.PostAsync(data.DatasetId, "Reject", chosen);

        var finals = await fixture.ReadDbAsync(db => db.FinalLabels.Where(f => f.DatasetId == data.DatasetId).ToListAsync());
        Assert.Equal(chosen.Order(), finals.Select(f => f.ImageId).Order());
        Assert.All(finals, f => Assert.True(f.Rejected && f.ClassId is null));
        Assert.Equal(chosen.Order(), (await fixture.BrowseAsync(data.DatasetId, "?final=rejected")).Ids);
    }

    [Fact]
    public async Task Csv_export_of_the_selection_neutralises_formula_cells()
    {
        var data = await fixture.SeedAsync();
        var (hostile, plain) = (data.ImageIds[0], data.ImageIds[1]);
        await fixture.WithDbAsync(async db => (await db.Images.FirstAsync(i => i.Id == hostile)).Origin = "=HYPERLINK(\"http://evil\",\"x\")");
        await fixture.DecideAsync(data.DatasetId, plain, data.ClassIds[1]);

        var response = await fixture.PostAsync(data.DatasetId, "Export", [hostile, plain]);
        var csv = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = csv.TrimEnd('\n').Split('\n');
        Assert.Equal("id,sha256,origin,import_label,final_label", lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith($"{hostile},", lines[1], StringComparison.Ordinal);
        Assert.Contains(",\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",class-a,", lines[1], StringComparison.Ordinal);
        Assert.EndsWith(",class-a,class-b", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_removes_rows_and_orphaned_files_and_keeps_a_file_another_dataset_uses()
    {
        var data = await fixture.SeedAsync();
        var other = await fixture.SeedAsync(classes: 1, perClass: 2);
        var chosen = data.ImageIds.Take(3).ToList();
        var store = fixture.Factory.Services.GetRequiredService<ImageStore>();
        var rows = await fixture.ReadDbAsync(db => db.Images.Where(i => chosen.Contains(i.Id)).ToListAsync());
        var shared = rows[0].Sha256;
        // The other dataset holds the first image's bytes too: that file must stay.
        await fixture.WithDbAsync(async db => (await db.Images.FirstAsync(i => i.Id == other.ImageIds[0])).Sha256 = shared);
        foreach (var r in rows)
        {
            var blobs = fixture.Factory.Services.GetRequiredService<IBlobStorage>();
            await blobs.PutIfAbsentAsync(ImageStore.OriginalKey(r.Sha256, r.Format), new byte[] { 1, 2, 3 }, default);
            await blobs.PutIfAbsentAsync(ImageStore.ThumbnailKey(r.Sha256), new byte[] { 4, 5 }, default);
        }

        await fixture.VoteAsync(data.DatasetId, "u1", chosen[1], data.ClassIds[0]);
        await fixture.DecideAsync(data.DatasetId, chosen[2], data.ClassIds[1]);
        await fixture.WithDbAsync(async db => (await db.Images.FirstAsync(i => i.Id == data.ImageIds[10])).NearDuplicateOfId = chosen[0]);
        var split = await fixture.Factory.Services.GetRequiredService<EvaluationService>().GetOrCreateSplitAsync(data.DatasetId, null, SplitProtocols.Article, 1, "test");

        // Without "I understand": nothing happens.
        var refused = await fixture.PostAsync(data.DatasetId, "Delete", chosen);
        Assert.Contains("Nothing deleted", await fixture.Admin.GetStringAsync(refused.Headers.Location!.OriginalString), StringComparison.Ordinal);
        Assert.Equal(60, await fixture.ReadDbAsync(db => db.Images.CountAsync(i => i.DatasetId == data.DatasetId)));

        var response = await fixture.PostAsync(data.DatasetId, "Delete", chosen, new() { ["Understand"] = "true" });
        var page = await fixture.Admin.GetStringAsync(response.Headers.Location!.OriginalString);

        Assert.Contains("Deleted 3 image(s) and 2 file(s); 1 file(s) kept", page, StringComparison.Ordinal);
        var left = await fixture.ReadDbAsync(async db => new
        {
            Images = await db.Images.CountAsync(i => chosen.Contains(i.Id)),
            Embeddings = await db.Embeddings.CountAsync(e => chosen.Contains(e.ImageId)),
            Votes = await db.LabelVotes.CountAsync(v => chosen.Contains(v.ImageId)),
            Events = await db.LabelEvents.CountAsync(e => chosen.Contains(e.ImageId)),
            Finals = await db.FinalLabels.CountAsync(f => chosen.Contains(f.ImageId)),
            Splits = await db.SplitImages.CountAsync(s => chosen.Contains(s.ImageId)),
            Links = await db.Images.CountAsync(i => i.NearDuplicateOfId != null && chosen.Contains(i.NearDuplicateOfId.Value)),
            Remaining = await db.Images.CountAsync(i => i.DatasetId == data.DatasetId),
            SplitRows = await db.SplitImages.CountAsync(s => s.SplitId == split.Id),
        });
        Assert.Equal((0, 0, 0, 0, 0, 0, 0), (left.Images, left.Embeddings, left.Votes, left.Events, left.Finals, left.Splits, left.Links));
        Assert.Equal(57, left.Remaining);
        Assert.Equal(57, left.SplitRows);
        Assert.True(await store.HasOriginalAsync(shared, rows[0].Format, default) && await store.HasThumbnailAsync(shared, default));
        foreach (var r in rows.Skip(1))
        {
            Assert.False(await store.HasOriginalAsync(r.Sha256, r.Format, default));
            Assert.False(await store.HasThumbnailAsync(r.Sha256, default));
        }
    }

    [Fact]
    public async Task More_than_500_images_in_one_action_are_refused_and_nothing_changes()
    {
        var data = await fixture.SeedAsync();
        var ids = data.ImageIds.Concat(Enumerable.Range(1, BrowseActions.MaxSelection + 1 - data.ImageIds.Count).Select(i => 10_000_000L + i)).ToList();
        Assert.Equal(BrowseActions.MaxSelection + 1, ids.Count);

        var response = await fixture.PostAsync(data.DatasetId, "Reject", ids);
        var page = await fixture.Admin.GetStringAsync(response.Headers.Location!.OriginalString);

        Assert.Contains("501 images selected: one action takes at most 500", page, StringComparison.Ordinal);
        Assert.Equal(0, await fixture.ReadDbAsync(db => db.FinalLabels.CountAsync(f => f.DatasetId == data.DatasetId)));
        // At the cap the same kind of post is accepted (here refused only for ids of no image, with its own message).
        var atCap = await fixture.PostAsync(data.DatasetId, "Reject", ids.Take(BrowseActions.MaxSelection));
        Assert.Contains("are not in this dataset", await fixture.Admin.GetStringAsync(atCap.Headers.Location!.OriginalString), StringComparison.Ordinal);
    }
}
