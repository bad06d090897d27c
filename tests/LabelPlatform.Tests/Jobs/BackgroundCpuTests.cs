using LabelPlatform.Core.Jobs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Tests.Jobs;

public class BackgroundCpuTests
{
    private static BackgroundCpu Create(int nice, int threads = 2) =>
        new(Options.Create(new JobOptions { BackgroundNice = nice, BackgroundThreads = threads }), NullLogger<BackgroundCpu>.Instance);

    [Fact]
    public async Task Work_and_its_continuations_run_on_lowered_threads_and_the_caller_keeps_its_priority()
    {
        if (!OperatingSystem.IsLinux())
        {
            // Thread nice values are a Linux notion; elsewhere there is nothing to read.
            Assert.Null(BackgroundCpu.CurrentThreadNice());
            return;
        }

        using var background = Create(nice: 12);
        var callerBefore = BackgroundCpu.CurrentThreadNice();

        var seen = await background.RunAsync(async () =>
        {
            var first = (Nice: BackgroundCpu.CurrentThreadNice(), Thread.CurrentThread.Name);
            await Task.Delay(10);
            await Task.Yield();
            var second = (Nice: BackgroundCpu.CurrentThreadNice(), Thread.CurrentThread.Name);
            return (first, second);
        }, CancellationToken.None);

        Assert.Equal(12, seen.first.Nice);
        Assert.StartsWith("background-cpu-", seen.first.Name, StringComparison.Ordinal);
        Assert.Equal(12, seen.second.Nice);
        Assert.StartsWith("background-cpu-", seen.second.Name, StringComparison.Ordinal);
        Assert.True(background.Lowered);
        // The caller goes on at its own priority, not on a background thread.
        Assert.Equal(callerBefore, BackgroundCpu.CurrentThreadNice());
        Assert.False(Thread.CurrentThread.Name?.StartsWith("background-cpu-", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task Nice_zero_leaves_the_threads_at_normal_priority()
    {
        if (!OperatingSystem.IsLinux())
        {
            // Thread nice values are a Linux notion; elsewhere there is nothing to read.
            Assert.Null(BackgroundCpu.CurrentThreadNice());
            return;
        }

        using var background = Create(nice: 0, threads: 1);
        var nice = await background.RunAsync(() => Task.FromResult(BackgroundCpu.CurrentThreadNice()), CancellationToken.None);
        Assert.Equal(BackgroundCpu.CurrentThreadNice(), nice);
        Assert.False(background.Lowered);
    }

    [Fact]
    public async Task Work_runs_in_parallel_on_every_thread_and_errors_reach_the_caller()
    {
        using var background = Create(nice: 5, threads: 3);
        using var barrier = new Barrier(3);
        // Three items that each wait for the other two: they finish only if all three threads run at once.
        var names = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => background.RunAsync(() =>
        {
            Assert.True(barrier.SignalAndWait(TimeSpan.FromSeconds(10)), "the work items did not run in parallel");
            return Task.FromResult(Thread.CurrentThread.Name!);
        }, CancellationToken.None)));
        Assert.Equal(3, names.Distinct().Count());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => background.RunAsync<int>(() => throw new InvalidOperationException("broken image"), CancellationToken.None));
        Assert.Equal("broken image", error.Message);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => background.RunAsync(() => Task.FromResult(1), new CancellationToken(canceled: true)));
    }
}
