using LabelPlatform.Core.Data;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Labelling.Queue;
using LabelPlatform.Core.Review;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Labelling;

/// <summary>The labelling service over a real SQLite file, with a clock the test moves.</summary>
public class LabellingServiceTests
{
    private static async Task<(CorePlatform Platform, ManualClock Clock, SeededDataset Data)> StartAsync(int classes = 3, int perClass = 20)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
        var platform = await CorePlatform.StartAsync(configure: s => s.AddSingleton<TimeProvider>(clock));
        var data = await EvaluationSeed.CreateAsync(platform.Services, "labels", classes, perClass);
        return (platform, clock, data);
    }

    private static SubmitRequest Label(SeededDataset data, string user, string clientId, long image, int classIndex, string source = "single") =>
        new(data.DatasetId, user, clientId, source, [new LabelItem(image, LabelEventKind.Label, data.ClassIds[classIndex])]);

    private static async Task<(int Submissions, int Events)> CountAsync(CorePlatform platform)
    {
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        return (await db.LabelSubmissions.CountAsync(), await db.LabelEvents.CountAsync());
    }

    [Fact]
    public async Task A_resubmitted_client_id_returns_the_stored_result_and_never_a_second_event()
    {
        var (platform, _, data) = await StartAsync();
        await using var _ = platform;
        var service = platform.Get<LabelSubmissions>();

        var first = await service.SubmitAsync(Label(data, "u1", "c-1", data.ImageIds[0], 0));
        var again = await service.SubmitAsync(Label(data, "u1", "c-1", data.ImageIds[0], 0));
        // Ten concurrent retries of one new submission (a flaky network): one wins, all get its result.
        var racing = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => service.SubmitAsync(Label(data, "u1", "c-2", data.ImageIds[1], 1)))));
        // The same client id from another user is another submission.
        var other = await service.SubmitAsync(Label(data, "u2", "c-1", data.ImageIds[0], 0));

        Assert.False(first.Duplicate);
        Assert.True(again.Duplicate);
        Assert.Equal(first.EventIds, again.EventIds);
        Assert.Single(racing, r => !r.Duplicate);
        Assert.Single(racing.Select(r => r.EventIds[0]).Distinct());
        Assert.False(other.Duplicate);
        Assert.Equal((3, 3), await CountAsync(platform));
    }

    [Fact]
    public async Task A_suggestion_naming_an_unknown_class_is_refused_and_nothing_is_stored()
    {
        var (platform, _, data) = await StartAsync();
        await using var _ = platform;
        var shown = new ShownSuggestions([new Suggestion(data.ClassIds[0], "class-a", 0.6, 6), new Suggestion(987_654, "made up", 0.4, 4)]);

        var refused = await Assert.ThrowsAsync<LabellingException>(() => platform.Get<LabelSubmissions>().SubmitAsync(
            new SubmitRequest(data.DatasetId, "u1", "c-1", "single", [new LabelItem(data.ImageIds[0], LabelEventKind.Label, data.ClassIds[0], shown)])));

        Assert.Contains("suggestion class 987654 is not a class of this dataset", refused.Message, StringComparison.Ordinal);
        Assert.Equal((0, 0), await CountAsync(platform));
    }

    [Fact]
    public async Task A_class_deleted_while_a_label_waits_for_the_write_lock_is_refused_not_orphaned()
    {
        var (platform, _, data) = await StartAsync();
        await using var _ = platform;
        var datasets = platform.Get<LabelPlatform.Core.Datasets.DatasetService>();
        var spare = (await datasets.EnsureClassesAsync(data.DatasetId, ["spare"], null))["spare"];
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        // Another writer (another process, as far as the database can tell) holds the labelling write lock — SQLite's
        // write lock, or PostgreSQL's advisory lock — so the submission reads the classes and then waits to write.
        await using System.Data.Common.DbConnection other = TestDatabase.IsPostgres
            ? new Npgsql.NpgsqlConnection(db.Database.GetConnectionString())
            : new Microsoft.Data.Sqlite.SqliteConnection(db.Database.GetConnectionString());
        await other.OpenAsync();
        await using (var begin = other.CreateCommand())
        {
            begin.CommandText = TestDatabase.IsPostgres ? $"BEGIN; SELECT pg_advisory_xact_lock({DatabaseLocks.Labelling})" : "BEGIN IMMEDIATE";
            await begin.ExecuteNonQueryAsync();
        }

        var submit = Task.Run(() => platform.Get<LabelSubmissions>().SubmitAsync(Label(data, "u1", "c-1", data.ImageIds[0], 0) with
        {
            Items = [new LabelItem(data.ImageIds[0], LabelEventKind.Label, spare)],
        }));
        await Task.Delay(700);
        // The unused class goes in the meantime (as DatasetService.DeleteClassAsync would: nothing refers to it yet).
        await using (var delete = other.CreateCommand())
        {
            delete.CommandText = $"DELETE FROM \"ImageClasses\" WHERE \"Id\" = {spare}; COMMIT";
            await delete.ExecuteNonQueryAsync();
        }

        // Refused either way: 409 when it had read the classes before the delete (the case this is about), 404 after.
        var refused = await Assert.ThrowsAsync<LabellingException>(() => submit);
        Assert.True(refused.Status is 404 or 409, $"status {refused.Status}: {refused.Message}");
        Assert.Equal((0, 0), await CountAsync(platform));
    }

    [Fact]
    public async Task Labellers_who_start_at_the_same_moment_each_get_a_full_batch_of_distinct_slots()
    {
        var (platform, _, data) = await StartAsync(classes: 3, perClass: 40);
        await using var _ = platform;
        await platform.Get<LabellingSettingsService>().SaveSettingsAsync(data.DatasetId, overlap: 1, leaseSeconds: 60, modelId: null, "admin");

        // Forty labellers open the page together: each reads the same first free images before any lease is taken.
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var asking = Enumerable.Range(0, 40).Select(async u =>
        {
            await go.Task;
            return await platform.Get<LabelQueue>().NextAsync(data.DatasetId, $"u{u}", 3, []);
        }).ToList();
        go.SetResult();
        var batches = await Task.WhenAll(asking);

        // 120 free images, 40 x 3 wanted: every labeller gets a full batch (none is told "nothing left"), so every image
        // is handed out, and none twice.
        Assert.All(batches, b => Assert.Equal(3, b.Count));
        Assert.Equal(data.ImageIds.Order(), batches.SelectMany(b => b).Order());
    }

    [Fact]
    public async Task An_undo_naming_an_older_submission_undoes_exactly_that_one_and_leases_its_image_again()
    {
        var (platform, _, data) = await StartAsync();
        await using var _ = platform;
        var service = platform.Get<LabelSubmissions>();
        // Tab 1 labels image 0; tab 2 then labels image 1; tab 1's undo (or the action log's undo of an older entry)
        // means image 0, never tab 2's later label.
        var tab1 = await service.SubmitAsync(Label(data, "u1", "t1", data.ImageIds[0], 0));
        var tab2 = await service.SubmitAsync(Label(data, "u1", "t2", data.ImageIds[1], 1));

        var undone = await service.UndoAsync(data.DatasetId, "u1", "undo-1", tab1.SubmissionId);
        var again = await Assert.ThrowsAsync<LabellingException>(() => service.UndoAsync(data.DatasetId, "u1", "undo-2", tab1.SubmissionId));
        var foreign = await Assert.ThrowsAsync<LabellingException>(() => service.UndoAsync(data.DatasetId, "u2", "undo-3", tab2.SubmissionId));

        Assert.Equal([data.ImageIds[0]], undone.ImageIds);
        Assert.Equal((409, 404), (again.Status, foreign.Status));
        // Two labels and one undo; the refused ones wrote nothing.
        Assert.Equal((3, 3), await CountAsync(platform));
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var vote = Assert.Single(await db.LabelVotes.ToListAsync());
        Assert.Equal(data.ImageIds[1], vote.ImageId);
        // The submit gave image 0's lease back; the undo takes it again for u1, who is shown it to label anew.
        var lease = Assert.Single(await db.LabelLeases.ToListAsync());
        Assert.Equal((data.ImageIds[0], "u1"), (lease.ImageId, lease.UserId));
    }

    [Fact]
    public async Task A_review_client_id_reused_for_another_image_is_a_conflict_not_a_replay()
    {
        var (platform, _, data) = await StartAsync();
        await using var _ = platform;
        var service = platform.Get<LabelSubmissions>();
        var decisions = platform.Get<ReviewDecisions>();
        await decisions.SetFinalAsync(new ReviewRequest(data.DatasetId, data.ImageIds[0], "rev", "r-1", data.ClassIds[1], false, null));
        await service.SubmitAsync(Label(data, "rev", "l-1", data.ImageIds[2], 0));

        var otherImage = await Assert.ThrowsAsync<LabellingException>(() => decisions.SetFinalAsync(new ReviewRequest(data.DatasetId, data.ImageIds[1], "rev", "r-1", data.ClassIds[1], false, null)));
        var aLabelsId = await Assert.ThrowsAsync<LabellingException>(() => decisions.SetFinalAsync(new ReviewRequest(data.DatasetId, data.ImageIds[2], "rev", "l-1", data.ClassIds[1], false, null)));
        var replay = await decisions.SetFinalAsync(new ReviewRequest(data.DatasetId, data.ImageIds[0], "rev", "r-1", data.ClassIds[1], false, null));

        Assert.Equal((409, 409), (otherImage.Status, aLabelsId.Status));
        Assert.True(replay.Duplicate);
        Assert.Equal((2, 2), await CountAsync(platform));
    }

    [Fact]
    public async Task Undo_appends_events_and_restores_the_previous_vote()
    {
        var (platform, _, data) = await StartAsync();
        await using var _ = platform;
        var service = platform.Get<LabelSubmissions>();
        var image = data.ImageIds[0];

        await service.SubmitAsync(Label(data, "u1", "a", image, 0));
        await service.SubmitAsync(Label(data, "u1", "b", image, 1));
        // A grid assignment of three images is one submission and one undo.
        var grid = await service.SubmitAsync(new SubmitRequest(data.DatasetId, "u1", "g", "grid",
            [.. data.ImageIds.Skip(1).Take(3).Select(i => new LabelItem(i, LabelEventKind.Label, data.ClassIds[2]))]));
        var undoGrid = await service.UndoAsync(data.DatasetId, "u1", "undo-1");
        var undoB = await service.UndoAsync(data.DatasetId, "u1", "undo-2");
        var undoRetry = await service.UndoAsync(data.DatasetId, "u1", "undo-2");

        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var votes = await db.LabelVotes.OrderBy(v => v.ImageId).ToListAsync();
        Assert.Equal(grid.ImageIds, undoGrid.ImageIds);
        Assert.True(undoRetry.Duplicate);
        Assert.Equal(undoB.EventIds, undoRetry.EventIds);
        var vote = Assert.Single(votes);
        Assert.Equal((image, data.ClassIds[0]), (vote.ImageId, vote.ClassId));
        // 2 labels + 3 grid + 3 undos + 1 undo, nothing removed; and the projection is exactly the fold of the events.
        Assert.Equal(9, await db.LabelEvents.CountAsync());
        var folded = await platform.Get<LabelHistory>().FoldVotesAsync(data.DatasetId);
        Assert.Equal(votes.Select(v => (v.ImageId, v.UserId, v.EventId, v.ClassId)), folded.Select(v => (v.ImageId, v.UserId, v.EventId, v.ClassId)));
        await Assert.ThrowsAsync<LabellingException>(() => service.UndoAsync(data.DatasetId, "u2", "nothing"));
    }

    [Fact]
    public async Task A_stale_reviewer_edit_is_a_conflict_and_writes_nothing()
    {
        var (platform, _, data) = await StartAsync();
        await using var _ = platform;
        var decisions = platform.Get<ReviewDecisions>();
        var image = data.ImageIds[5];

        var first = await decisions.SetFinalAsync(new ReviewRequest(data.DatasetId, image, "rev-1", "r1", data.ClassIds[1], false, null));
        // rev-2 loaded the page before rev-1 decided (saw no final label).
        var conflict = await Assert.ThrowsAsync<LabelConflictException>(() => decisions.SetFinalAsync(new ReviewRequest(data.DatasetId, image, "rev-2", "r2", data.ClassIds[2], false, null)));
        var second = await decisions.SetFinalAsync(new ReviewRequest(data.DatasetId, image, "rev-2", "r3", data.ClassIds[2], false, first.Version));
        // Two reviewers on version 2 at the same moment: exactly one wins.
        Task<bool> Race(string id) => Task.Run(async () =>
        {
            try
            {
                await decisions.SetFinalAsync(new ReviewRequest(data.DatasetId, image, $"rev-{id}", id, null, true, second.Version));
                return true;
            }
            catch (LabelConflictException)
            {
                return false;
            }
        });
        var outcomes = await Task.WhenAll(Race("x"), Race("y"));

        Assert.Equal((1, 2), (first.Version, second.Version));
        Assert.Contains("rev-1", conflict.Message, StringComparison.Ordinal);
        Assert.Contains("version 1", conflict.Message, StringComparison.Ordinal);
        Assert.Single(outcomes, o => o);
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var final = await db.FinalLabels.SingleAsync();
        Assert.Equal((3, true), (final.Version, final.Rejected));
        Assert.Equal(3, await db.LabelEvents.CountAsync(e => e.Kind == LabelEventKind.Review));
    }

    [Fact]
    public async Task Leases_keep_a_slot_for_one_labeller_until_they_expire()
    {
        var (platform, clock, data) = await StartAsync(classes: 1, perClass: 2);
        await using var _ = platform;
        var service = platform.Get<LabelSubmissions>();
        await platform.Get<LabellingSettingsService>().SaveSettingsAsync(data.DatasetId, overlap: 1, leaseSeconds: 60, modelId: null, "admin");

        var a = await platform.Get<LabelQueue>().NextAsync(data.DatasetId, "a", 1, []);
        var b = await platform.Get<LabelQueue>().NextAsync(data.DatasetId, "b", 1, []);
        var cBefore = await platform.Get<LabelQueue>().NextAsync(data.DatasetId, "c", 1, []);
        var aAgain = await platform.Get<LabelQueue>().NextAsync(data.DatasetId, "a", 1, []);
        clock.Advance(TimeSpan.FromSeconds(61));
        var cAfter = await platform.Get<LabelQueue>().NextAsync(data.DatasetId, "c", 2, []);

        Assert.Single(a);
        Assert.Single(b);
        Assert.Equal(data.ImageIds.Order(), a.Concat(b).Order());
        Assert.Empty(cBefore);
        Assert.Equal(a, aAgain);
        Assert.Equal(data.ImageIds.Order(), cAfter.Order());

        // Labelled images leave the queue at overlap 1; at overlap 2 they come back for a second labeller.
        await service.SubmitAsync(Label(data, "c", "c1", data.ImageIds[0], 0));
        await service.SubmitAsync(Label(data, "c", "c2", data.ImageIds[1], 0));
        Assert.Empty(await platform.Get<LabelQueue>().NextAsync(data.DatasetId, "d", 2, []));
        await platform.Get<LabellingSettingsService>().SaveSettingsAsync(data.DatasetId, overlap: 2, leaseSeconds: 60, modelId: null, "admin");
        Assert.Equal(data.ImageIds.Order(), (await platform.Get<LabelQueue>().NextAsync(data.DatasetId, "d", 2, [])).Order());
        Assert.Empty(await platform.Get<LabelQueue>().NextAsync(data.DatasetId, "c", 2, []));
    }

    [Fact]
    public async Task Grid_expansion_leases_the_neighbours_it_shows_so_two_labellers_never_get_the_same_slot()
    {
        var (platform, clock, data) = await StartAsync(classes: 3, perClass: 20);
        await using var _ = platform;
        var expansion = platform.Get<NeighbourExpansion>();
        await platform.Get<LabellingSettingsService>().SaveSettingsAsync(data.DatasetId, overlap: 1, leaseSeconds: 60, modelId: null, "admin");
        var seed = data.ImageIds[0];

        var a = await expansion.ExpandAsync(data.DatasetId, seed, "a", 10);
        var b = await expansion.ExpandAsync(data.DatasetId, seed, "b", 10);
        var aAgain = await expansion.ExpandAsync(data.DatasetId, seed, "a", 10);
        var fromQueue = await platform.Get<LabelQueue>().NextAsync(data.DatasetId, "c", 50, []);

        Assert.Equal(10, a.Count);
        Assert.Equal(10, b.Count);
        Assert.Empty(a.Intersect(b));
        // Most similar first: the seed itself (unlabelled) leads the first expansion.
        Assert.Equal(seed, a[0]);
        Assert.Equal(a, aAgain);
        Assert.Empty(fromQueue.Intersect(a.Concat(b)));
        Assert.Equal(data.ImageIds.Count - 20, fromQueue.Count);

        // Once a's leases lapse, b may expand into those images.
        clock.Advance(TimeSpan.FromSeconds(61));
        var bLater = await expansion.ExpandAsync(data.DatasetId, seed, "b", 20);
        Assert.Subset(bLater.ToHashSet(), a.ToHashSet());
    }

    [Fact]
    public async Task Ground_truth_lays_consensus_and_reviewer_labels_over_import_labels_and_its_hash_follows()
    {
        var (platform, _, data) = await StartAsync();
        await using var _ = platform;
        var service = platform.Get<LabelSubmissions>();
        var decisions = platform.Get<ReviewDecisions>();
        var truth = platform.Get<GroundTruthService>();
        var (agreed, tied, rejected) = (data.ImageIds[0], data.ImageIds[1], data.ImageIds[2]);

        var before = await truth.CurrentAsync(data.DatasetId);
        // Overlap 2 (the default): one vote changes nothing.
        await service.SubmitAsync(Label(data, "u1", "1", agreed, 1));
        var oneVote = await truth.CurrentAsync(data.DatasetId);
        await service.SubmitAsync(Label(data, "u2", "2", agreed, 1));
        await service.SubmitAsync(Label(data, "u1", "3", tied, 1));
        await service.SubmitAsync(Label(data, "u2", "4", tied, 2));
        var consensus = await truth.CurrentAsync(data.DatasetId);
        await decisions.SetFinalAsync(new ReviewRequest(data.DatasetId, rejected, "rev", "5", null, true, null));
        var reviewed = await truth.CurrentAsync(data.DatasetId);

        Assert.Equal(data.ClassIds[0], before.ClassOf[agreed]);
        Assert.Equal(before.Hash, oneVote.Hash);
        Assert.Equal(data.ClassIds[1], consensus.ClassOf[agreed]);
        Assert.Equal(data.ClassIds[0], consensus.ClassOf[tied]);
        Assert.NotEqual(before.Hash, consensus.Hash);
        Assert.Equal((1, 0, 0), (consensus.FromConsensus, consensus.FromReview, consensus.Excluded));
        Assert.False(reviewed.ClassOf.ContainsKey(rejected));
        Assert.Equal(before.ClassOf.Count - 1, reviewed.ClassOf.Count);
        Assert.Equal((1, 1, 1), (reviewed.FromConsensus, reviewed.FromReview, reviewed.Excluded));
        Assert.NotEqual(consensus.Hash, reviewed.Hash);
    }

    [Fact]
    public async Task Suggestions_come_from_the_nearest_labelled_neighbours_and_are_stored_with_the_event()
    {
        var (platform, _, data) = await StartAsync(classes: 3, perClass: 20);
        await using var _ = platform;
        var service = platform.Get<LabelSubmissions>();
        // Suggestions from import-labelled neighbours only where the dataset shows import labels.
        await platform.Get<LabellingSettingsService>().SaveSettingsAsync(data.DatasetId, overlap: 2, leaseSeconds: 120, modelId: null, "admin", showImportLabels: true);

        // The seeded vectors lean towards their class's axis: most neighbours of a class-b image are class b.
        var image = data.ImageIds[25];
        var suggestions = Assert.Single(await platform.Get<LabelSuggestions>().SuggestAsync(data.DatasetId, [image]));
        await service.SubmitAsync(new SubmitRequest(data.DatasetId, "u1", "s1", "single",
            [new LabelItem(image, LabelEventKind.Label, suggestions.Items[0].ClassId, new ShownSuggestions(suggestions.Items))]));
        var stats = await platform.Get<LabelAgreement>().AgreementAsync(data.DatasetId);

        Assert.Equal(LabelSuggestions.SuggestionNeighbours, suggestions.NeighboursUsed);
        Assert.InRange(suggestions.Items.Count, 1, 3);
        Assert.Equal(data.ClassIds[1], suggestions.Items[0].ClassId);
        Assert.Equal(suggestions.Items[0].Votes / (double)LabelSuggestions.SuggestionNeighbours, suggestions.Items[0].Confidence, 3);
        Assert.True(suggestions.Items.Zip(suggestions.Items.Skip(1)).All(p => p.First.Confidence >= p.Second.Confidence));
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var stored = await db.LabelEvents.SingleAsync();
        Assert.Equal(suggestions.Items[0].ClassId, stored.SuggestedClassId);
        Assert.StartsWith($"{suggestions.Items[0].ClassId}:", stored.Suggestions, StringComparison.Ordinal);
        var me = Assert.Single(stats.Labellers);
        Assert.Equal((1, 1, 1.0), (me.SuggestionsShown, me.SuggestionsAccepted, me.AcceptanceRate));
    }

    [Fact]
    public async Task The_knn_queue_holds_human_labels_most_nearest_neighbours_disagree_with()
    {
        var (platform, _, data) = await StartAsync(classes: 3, perClass: 20);
        await using var _ = platform;
        var service = platform.Get<LabelSubmissions>();
        var (odd, fine) = (data.ImageIds[0], data.ImageIds[1]);
        // Both class-a images get a consensus: one says b (its neighbours lean a), the other says a.
        foreach (var user in new[] { "u1", "u2" })
        {
            await service.SubmitAsync(Label(data, user, $"{user}-odd", odd, 1));
            await service.SubmitAsync(Label(data, user, $"{user}-fine", fine, 0));
        }

        var queue = await platform.Get<ReviewQueues>().DisagreementsAsync(data.DatasetId, 10);

        var item = Assert.Single(queue);
        Assert.Equal((odd, data.ClassIds[1], data.ClassIds[0]), (item.ImageId, item.Label.ClassId, item.NeighbourClassId));
        Assert.True(item.LabelShare < 0.5 && item.NeighbourShare > 0.5, $"shares {item.LabelShare} / {item.NeighbourShare}");
    }

    [Fact]
    public async Task Agreement_report_gives_pair_kappas_consensus_counts_and_queues()
    {
        var (platform, _, data) = await StartAsync(classes: 2, perClass: 10);
        await using var _ = platform;
        var service = platform.Get<LabelSubmissions>();
        var queues = platform.Get<ReviewQueues>();
        // u1: a a b b, u2: a b b b on four images. By hand: po = 3/4; u1 marginals a 1/2, b 1/2; u2 a 1/4, b 3/4;
        // pe = 1/2 * 1/4 + 1/2 * 3/4 = 1/2; Cohen's kappa = (0.75 - 0.5) / 0.5 = 0.5. Fleiss over the same four
        // two-rater items: P-bar = 0.75, shares a 3/8, b 5/8, Pe = 34/64; kappa = (0.75 - 0.53125) / 0.46875 = 0.466667.
        int[] u1 = [0, 0, 1, 1], u2 = [0, 1, 1, 1];
        for (var i = 0; i < 4; i++)
        {
            await service.SubmitAsync(Label(data, "u1", $"u1-{i}", data.ImageIds[i], u1[i]));
            await service.SubmitAsync(Label(data, "u2", $"u2-{i}", data.ImageIds[i], u2[i]));
        }

        var report = await platform.Get<LabelAgreement>().AgreementAsync(data.DatasetId);
        var open = await queues.NoConsensusAsync(data.DatasetId, 10);

        var pair = Assert.Single(report.Pairs);
        Assert.Equal((4, 0.5), (pair.Items, pair.Kappa!.Value));
        Assert.Equal(0.466667, report.FleissKappa!.Value, 5);
        Assert.Equal((4, 3, 1), (report.ImagesWithVotes, report.WithConsensus, report.WithoutConsensus));
        Assert.Equal(data.ImageIds[1], Assert.Single(open).ImageId);
        Assert.All(report.Labellers, l => Assert.Equal(1.0, l.AgreementWithConsensus));
    }
}
