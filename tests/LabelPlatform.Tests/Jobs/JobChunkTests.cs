using LabelPlatform.Core.Data;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Jobs;

/// <summary>
/// The database side of chunked runs on both providers: two platforms over one database (as two worker machines) race
/// for chunks and each chunk goes to one of them once; a chunk whose worker stopped heartbeating is resumed by another;
/// the run's counters are the sums of its chunks' and the run completes exactly once, after its last chunk.
/// </summary>
public class JobChunkTests
{
    private const int Chunks = 24;

    [Fact]
    public async Task Two_processes_racing_for_chunks_claim_each_chunk_exactly_once()
    {
        await using var first = await CorePlatform.StartAsync();
        await using var second = await CorePlatform.AlongsideAsync(first);
        var run = await PlannedRunAsync(first, Chunks);

        // Each platform claims with several concurrent loops until nothing is left.
        var loops = Enumerable.Range(0, 6).Select(n => ClaimAllAsync(n % 2 == 0 ? first : second, run.Id, $"w{n}")).ToArray();
        var claimed = (await Task.WhenAll(loops)).SelectMany(c => c).ToList();

        Assert.Equal(Chunks, claimed.Count);
        Assert.Equal(Chunks, claimed.Distinct().Count());
        await using var db = await first.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        Assert.Equal(Chunks, await db.JobChunks.CountAsync(c => c.JobRunId == run.Id && c.State == JobChunkState.Running && c.Attempts == 1));
    }

    [Fact]
    public async Task A_chunk_whose_lease_lapsed_is_resumed_by_another_worker_and_the_first_loses_it()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));
        await using var platform = await CorePlatform.StartAsync(new() { ["Jobs:LeaseDuration"] = "00:00:30" }, s => s.AddSingleton<TimeProvider>(clock));
        var chunks = platform.Get<JobChunkService>();
        var run = await PlannedRunAsync(platform, 1);

        var dead = await chunks.ClaimNextAsync(run.Id, "dead-owner", "host-a:1", CancellationToken.None);
        Assert.NotNull(dead);
        // Live lease: nobody else may take it.
        Assert.Null(await chunks.ClaimNextAsync(run.Id, "other-owner", "host-b:2", CancellationToken.None));

        clock.Advance(TimeSpan.FromSeconds(31));
        var resumed = await chunks.ClaimNextAsync(run.Id, "other-owner", "host-b:2", CancellationToken.None);

        Assert.NotNull(resumed);
        Assert.Equal(dead.Id, resumed.Id);
        Assert.Equal((2, "host-b:2"), (resumed.Attempts, resumed.Worker));
        Assert.Equal(JobRunService.LeaseState.Lost, await chunks.RenewAsync(dead, "dead-owner", CancellationToken.None));
        Assert.False(await chunks.CompleteAsync(dead, "dead-owner", new ChunkCounts(1, 1, 0, 0), CancellationToken.None));
        Assert.Equal(JobRunService.LeaseState.Held, await chunks.RenewAsync(resumed, "other-owner", CancellationToken.None));
        Assert.True(await chunks.CompleteAsync(resumed, "other-owner", new ChunkCounts(3, 2, 0, 1), CancellationToken.None));
        Assert.Equal((3, 2, 1), await CountersAsync(platform, run.Id));
    }

    [Fact]
    public async Task Run_counters_are_the_sums_of_its_chunks_and_the_run_completes_once_after_the_last()
    {
        await using var first = await CorePlatform.StartAsync();
        await using var second = await CorePlatform.AlongsideAsync(first);
        var run = await PlannedRunAsync(first, 3);
        var a = first.Get<JobChunkService>();
        var b = second.Get<JobChunkService>();
        var chunkA = (await a.ClaimNextAsync(run.Id, "a", "host-a:1", CancellationToken.None))!;
        var chunkB = (await b.ClaimNextAsync(run.Id, "b", "host-b:2", CancellationToken.None))!;
        var chunkC = (await b.ClaimNextAsync(run.Id, "b2", "host-b:2", CancellationToken.None))!;

        await using (var db = await first.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync())
        {
            await JobChunkService.WriteCountsAsync(db, chunkA, "a", new ChunkCounts(5, 4, 1, 0), CancellationToken.None);
        }

        await using (var db = await second.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync())
        {
            await JobChunkService.WriteCountsAsync(db, chunkB, "b", new ChunkCounts(7, 6, 0, 1), CancellationToken.None);
        }

        Assert.Equal((12, 10, 1), await CountersAsync(first, run.Id));
        Assert.True(await a.CompleteAsync(chunkA, "a", new ChunkCounts(8, 7, 1, 0), CancellationToken.None));
        Assert.True(await b.CompleteAsync(chunkB, "b", new ChunkCounts(8, 7, 0, 1), CancellationToken.None));
        // A chunk is still running: the run must not complete yet.
        Assert.False(await a.TryCompleteRunAsync(run.Id, "done", CancellationToken.None));
        Assert.True(await b.CompleteAsync(chunkC, "b2", new ChunkCounts(8, 8, 0, 0), CancellationToken.None));

        var completions = await Task.WhenAll(a.TryCompleteRunAsync(run.Id, "done", CancellationToken.None), b.TryCompleteRunAsync(run.Id, "done", CancellationToken.None));
        Assert.Equal(1, completions.Count(c => c));
        var done = (await first.Get<JobRunService>().FindAsync(run.Id))!;
        Assert.Equal(JobState.Succeeded, done.State);
        Assert.Equal((24, 22, 1, 1), (done.Processed, done.Succeeded, done.Duplicates, done.Failed));
    }

    [Fact]
    public async Task Cancel_stops_a_chunked_run_in_its_running_chunk_and_no_further_chunk_is_claimed()
    {
        await using var platform = await CorePlatform.StartAsync(new() { ["Jobs:LeaseDuration"] = "00:00:03" });
        var runs = platform.Get<JobRunService>();
        var run = await runs.CreateAsync(JobKinds.Embed, null, new { }, "test");
        var work = new EndlessWork();
        var running = platform.Get<ChunkedJobRunner>().RunAsync(run.Id, work, CancellationToken.None);

        Assert.True(await Polling.WaitUntilAsync(() => Task.FromResult(work.Started > 0), TimeSpan.FromSeconds(60)), "no chunk started");
        Assert.True(await runs.RequestCancelAsync(run.Id));

        Assert.False(await running);
        var done = (await runs.FindAsync(run.Id))!;
        Assert.Equal(JobState.Cancelled, done.State);
        Assert.Equal(1, work.Started);
        var rows = await platform.Get<JobChunkService>().ListAsync(run.Id);
        Assert.Equal(4, rows.Count);
        Assert.Equal(3, rows.Count(c => c.State == JobChunkState.Pending));
    }

    /// <summary>Four chunks whose work reports progress until it is cancelled.</summary>
    private sealed class EndlessWork : IChunkedWork
    {
        private int _started;

        public int Started => Volatile.Read(ref _started);

        public string Kind => JobKinds.Embed;

        public bool IsExpectedFailure(Exception exception) => false;

        public Task<IReadOnlyList<ChunkRange>> PlanAsync(JobRun run, int chunkSize, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<ChunkRange>>(Enumerable.Range(0, 4).Select(i => new ChunkRange(i, i, 1)).ToList());

        public async Task RunChunkAsync(JobRun run, JobChunk chunk, JobProgress progress, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _started);
            while (true)
            {
                await Task.Delay(50, cancellationToken);
                await progress.FlushAsync(cancellationToken: cancellationToken);
            }
        }

        public Task<string> DescribeAsync(JobRun run, CancellationToken cancellationToken) => Task.FromResult("done");
    }

    /// <summary>A running run with a plan of <paramref name="count"/> chunks, its lease shared by the chunk workers.</summary>
    private static async Task<JobRun> PlannedRunAsync(CorePlatform platform, int count)
    {
        var runs = platform.Get<JobRunService>();
        var chunks = platform.Get<JobChunkService>();
        var run = await runs.CreateAsync(JobKinds.Embed, null, new { }, "test");
        Assert.Equal(JobRunService.StartOutcome.Started, (await runs.StartAsync(run.Id, "planner")).Outcome);
        Assert.True(await chunks.AddPlanAsync(run.Id, Enumerable.Range(0, count).Select(i => new ChunkRange(i * 10L, i * 10L + 9, 8)).ToList(), CancellationToken.None));
        // A second plan for the same run is refused (unique plan positions).
        Assert.False(await chunks.AddPlanAsync(run.Id, [new ChunkRange(0, 1, 1)], CancellationToken.None));
        await chunks.ShareRunLeaseAsync(run.Id, "planner", CancellationToken.None);
        return run;
    }

    private static async Task<List<long>> ClaimAllAsync(CorePlatform platform, long jobRunId, string owner)
    {
        var chunks = platform.Get<JobChunkService>();
        var claimed = new List<long>();
        while (await chunks.ClaimNextAsync(jobRunId, owner, owner, CancellationToken.None) is { } chunk)
        {
            claimed.Add(chunk.Id);
        }

        return claimed;
    }

    private static async Task<(int Processed, int Succeeded, int Failed)> CountersAsync(CorePlatform platform, long jobRunId)
    {
        var run = (await platform.Get<JobRunService>().FindAsync(jobRunId))!;
        return (run.Processed, run.Succeeded, run.Failed);
    }
}
