using System.Globalization;
using LabelPlatform.Core.Jobs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Tests.Jobs;

/// <summary>Tests that block the shared thread pool on purpose run alone, so no other class's requests stall meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadPoolHeavyCollection
{
    public const string Name = "Thread pool heavy";
}

[Collection(ThreadPoolHeavyCollection.Name)]
public class BackgroundCpuTests
{
    private static BackgroundCpu Create(int nice, int threads = 2) =>
        new(Options.Create(new JobOptions { BackgroundNice = nice, BackgroundThreads = threads }), NullLogger<BackgroundCpu>.Instance);

    [Fact]
    public async Task Work_runs_on_lowered_threads_and_the_caller_resumes_at_its_own_priority()
    {
        using var background = Create(nice: 12);
        var callerBefore = BackgroundCpu.CurrentThreadNice();

        var seen = await background.RunAsync(_ => (Nice: BackgroundCpu.CurrentThreadNice(), Thread.CurrentThread.Name), CancellationToken.None);

        Assert.StartsWith(BackgroundCpu.ThreadNamePrefix, seen.Name, StringComparison.Ordinal);
        Assert.False(Thread.CurrentThread.Name?.StartsWith(BackgroundCpu.ThreadNamePrefix, StringComparison.Ordinal) == true, "the caller resumed on a background thread");
        if (!OperatingSystem.IsLinux())
        {
            // Thread nice values are a Linux notion; elsewhere there is nothing to read.
            Assert.Null(seen.Nice);
            return;
        }

        Assert.Equal(12, seen.Nice);
        Assert.True(background.Lowered);
        Assert.Equal(callerBefore, BackgroundCpu.CurrentThreadNice());
    }

    [Fact]
    public async Task Nice_zero_leaves_the_threads_at_normal_priority()
    {
        using var background = Create(nice: 0, threads: 1);
        var nice = await background.RunAsync(_ => BackgroundCpu.CurrentThreadNice(), CancellationToken.None);
        Assert.Equal(BackgroundCpu.CurrentThreadNice(), nice);
        Assert.False(background.Lowered);
    }

    [Fact]
    public async Task Work_runs_in_parallel_on_every_thread_and_errors_and_cancellation_reach_the_caller()
    {
        using var background = Create(nice: 5, threads: 3);
        using var barrier = new Barrier(3);
        // Three items that each wait for the other two: they finish only if all three threads run at once.
        var names = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => background.RunAsync(_ =>
            barrier.SignalAndWait(TimeSpan.FromSeconds(10), CancellationToken.None) ? Thread.CurrentThread.Name! : throw new TimeoutException("the work items did not run in parallel"), CancellationToken.None)));
        Assert.Equal(3, names.Distinct().Count());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => background.RunAsync<int>(_ => throw new InvalidOperationException("broken image"), CancellationToken.None));
        Assert.Equal("broken image", error.Message);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => background.RunAsync(_ => 1, new CancellationToken(canceled: true)));
        using var cancel = new CancellationTokenSource();
        var stopped = background.RunAsync(token =>
        {
            cancel.Cancel();
            token.ThrowIfCancellationRequested();
            return 1;
        }, cancel.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stopped);
    }

    [Fact]
    public async Task No_thread_outside_the_background_ones_ever_inherits_their_lower_priority()
    {
        if (!OperatingSystem.IsLinux())
        {
            // Reads Linux's per-thread nice values; elsewhere there are none to read.
            Assert.Null(BackgroundCpu.CurrentThreadNice());
            return;
        }

        using var background = Create(nice: 7, threads: 2);
        // Many short items whose callers continue on the shared pool while it is busy: if a lowered thread ever made
        // the pool start a thread, that thread would run at nice 7 from then on.
        using var busy = new CancellationTokenSource();
        var blockers = Enumerable.Range(0, Environment.ProcessorCount * 4).Select(_ => Task.Run(() => busy.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(2)))).ToList();
        var work = Enumerable.Range(0, 400).Select(async i => await background.RunAsync(_ => i * 2, CancellationToken.None) + await Task.Run(() => 1));
        var sum = (await Task.WhenAll(work)).Sum();
        await busy.CancelAsync();
        await Task.WhenAll(blockers);

        Assert.Equal(Enumerable.Range(0, 400).Sum(i => i * 2 + 1), sum);
        var lowered = OtherLoweredThreads();
        Assert.True(lowered.Count == 0, $"threads at a lower priority that are not background threads: {string.Join(", ", lowered)}");
    }

    private const string RuntimeBackgroundGcThread = ".NET BGC";

    /// <summary>Threads of this process with a positive nice value whose name is not a background thread's.</summary>
    private static List<string> OtherLoweredThreads()
    {
        var found = new List<string>();
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                var name = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                // Fields after the parenthesised name: state is field 3, nice is field 19.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var nice = int.Parse(fields[19 - 3], CultureInfo.InvariantCulture);
                // The runtime starts its background-GC thread on whichever thread first needs a background GC (and
                // ends it when idle), so in a process with lowered threads it can start lowered: the runtime's, not
                // the thread pool's, and out of this class's reach (README, "Not yet here").
                if (nice > 0 && !name.StartsWith(BackgroundCpu.ThreadNamePrefix, StringComparison.Ordinal) && name != RuntimeBackgroundGcThread)
                {
                    found.Add($"{name} (tid {Path.GetFileName(task)}, nice {nice})");
                }
            }
            catch (IOException)
            {
                // The thread ended while being read.
            }
        }

        return found;
    }
}
