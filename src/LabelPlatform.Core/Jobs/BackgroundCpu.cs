using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Jobs;

/// <summary>
/// Dedicated threads at a lower OS scheduling priority for the CPU-heavy part of batch jobs (decoding, inference).
/// On a small machine an embedding job would otherwise take every core from the web requests of people labelling at
/// the same time; at a lower priority it still gets every idle cycle, but a request that becomes runnable is
/// scheduled first. The threads are never returned to the shared pool, because an unprivileged process can lower a
/// thread's priority but not raise it again.
/// </summary>
public sealed class BackgroundCpu : IDisposable
{
    private readonly BlockingCollection<Task> _queue = [];
    private readonly Thread[] _threads;
    private readonly Scheduler _scheduler;

    public BackgroundCpu(IOptions<JobOptions> options, ILogger<BackgroundCpu> logger)
    {
        Nice = Math.Clamp(options.Value.BackgroundNice, 0, 19);
        _scheduler = new Scheduler(this);
        _threads = new Thread[Math.Max(1, options.Value.BackgroundThreads > 0 ? options.Value.BackgroundThreads : Environment.ProcessorCount)];
        for (var i = 0; i < _threads.Length; i++)
        {
            _threads[i] = new Thread(Work) { IsBackground = true, Name = $"background-cpu-{i}" };
            _threads[i].Start();
        }

        logger.LogDebug("Background CPU work on {Threads} threads at nice {Nice}", _threads.Length, Nice);
    }

    /// <summary>The niceness the threads ask for (0 = same priority as the web; 19 = lowest).</summary>
    public int Nice { get; }

    public int ThreadCount => _threads.Length;

    /// <summary>Whether the priority change took effect on the last thread that tried (false off Linux/Windows or when refused).</summary>
    public bool Lowered { get; private set; }

    /// <summary>
    /// Runs <paramref name="work"/> on the background threads. Its continuations stay there too (awaits capture the
    /// current scheduler), so an async body that reads a file and then decodes does both at the lower priority. The
    /// caller resumes on the shared pool, never on a background thread.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken) =>
        await Task.Factory.StartNew(work, cancellationToken, TaskCreationOptions.DenyChildAttach, _scheduler).Unwrap()
            .ConfigureAwait(ConfigureAwaitOptions.ForceYielding);

    public void Dispose()
    {
        _queue.CompleteAdding();
        var stopped = _threads.All(t => t == Thread.CurrentThread || t.Join(TimeSpan.FromSeconds(5)));
        if (stopped && !_threads.Contains(Thread.CurrentThread))
        {
            // A thread that did not stop (or the one disposing) may still read the queue: it is left to the process.
            _queue.Dispose();
        }
    }

    private void Work()
    {
        Lowered = LowerCurrentThread(Nice);
        foreach (var task in _queue.GetConsumingEnumerable())
        {
            _scheduler.Execute(task);
        }
    }

    /// <summary>Lowers the calling thread's priority; true when the OS accepted it.</summary>
    public static bool LowerCurrentThread(int nice)
    {
        if (nice <= 0)
        {
            return false;
        }

        if (OperatingSystem.IsLinux())
        {
            // On Linux a nice value belongs to the thread (PRIO_PROCESS with a thread id).
            return SetPriority(0, GetTid(), nice) == 0;
        }

        if (OperatingSystem.IsWindows())
        {
            Thread.CurrentThread.Priority = nice >= 10 ? ThreadPriority.Lowest : ThreadPriority.BelowNormal;
            return true;
        }

        return false;
    }

    /// <summary>The calling thread's nice value, or null off Linux.</summary>
    public static int? CurrentThreadNice()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        Marshal.SetLastPInvokeError(0);
        var value = GetPriority(0, GetTid());
        return value == -1 && Marshal.GetLastPInvokeError() != 0 ? null : value;
    }

    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static extern int SetPriority(int which, int who, int priority);

    [DllImport("libc", EntryPoint = "getpriority", SetLastError = true)]
    private static extern int GetPriority(int which, int who);

    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int GetTid();

    private sealed class Scheduler(BackgroundCpu owner) : TaskScheduler
    {
        public override int MaximumConcurrencyLevel => owner._threads.Length;

        public void Execute(Task task) => TryExecuteTask(task);

        protected override void QueueTask(Task task) => owner._queue.Add(task);

        // Inline only on our own threads: a pool thread must not run the work at normal priority.
        protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
            Thread.CurrentThread.Name?.StartsWith("background-cpu-", StringComparison.Ordinal) == true && !taskWasPreviouslyQueued && TryExecuteTask(task);

        protected override IEnumerable<Task> GetScheduledTasks() => owner._queue.ToArray();
    }
}
