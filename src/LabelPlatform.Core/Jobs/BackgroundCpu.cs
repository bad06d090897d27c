using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Jobs;

/// <summary>
/// Dedicated threads at a lower OS scheduling priority for the CPU-heavy part of batch jobs (decoding, inference).
/// On a small machine an embedding job would otherwise take every core from the web requests of people labelling at
/// the same time; at a lower priority it still gets every idle cycle, but a request that becomes runnable is
/// scheduled first.
/// <para>
/// Two Linux rules shape it. An unprivileged thread can lower its priority but never raise it again, so the threads
/// are never lent to the shared pool. And a new thread inherits its creator's nice value, so a lowered thread must
/// not be the one that makes the shared pool start a thread (queueing work there can): the work is synchronous, and
/// results are handed back to callers by a relay thread at normal priority.
/// </para>
/// </summary>
public sealed class BackgroundCpu : IDisposable
{
    /// <summary>Prefix of the lowered threads' names (also their Linux thread name, which keeps 15 characters).</summary>
    public const string ThreadNamePrefix = "background-cpu-";

    private readonly BlockingCollection<WorkItem> _work = [];
    private readonly BlockingCollection<WorkItem> _done = [];
    private readonly Thread[] _threads;
    private readonly Thread _relay;
    private volatile bool _lowered;

    public BackgroundCpu(IOptions<JobOptions> options, ILogger<BackgroundCpu> logger)
    {
        Nice = options.Value.BackgroundNice;
        // Started first, from the constructing thread: at normal priority.
        _relay = new Thread(Relay) { IsBackground = true, Name = "background-relay" };
        _relay.Start();
        _threads = new Thread[options.Value.BackgroundThreads > 0 ? options.Value.BackgroundThreads : Environment.ProcessorCount];
        for (var i = 0; i < _threads.Length; i++)
        {
            _threads[i] = new Thread(Work) { IsBackground = true, Name = $"{ThreadNamePrefix}{i}" };
            _threads[i].Start();
        }

        logger.LogDebug("Background CPU work on {Threads} threads at nice {Nice}", _threads.Length, Nice);
    }

    /// <summary>The niceness the threads ask for (0 = same priority as the web; 19 = lowest).</summary>
    public int Nice { get; }

    /// <summary>Whether the OS accepted the lower priority (false off Linux and Windows, or with <see cref="Nice"/> 0).</summary>
    public bool Lowered => _lowered;

    /// <summary>
    /// Runs synchronous <paramref name="work"/> on a background thread. It must not start asynchronous work of its own
    /// (that would go through the shared pool from a lowered thread). The caller resumes on the shared pool.
    /// </summary>
    public Task<T> RunAsync<T>(Func<CancellationToken, T> work, CancellationToken cancellationToken)
    {
        var item = new WorkItem<T>(work, cancellationToken);
        if (cancellationToken.IsCancellationRequested)
        {
            item.Result.TrySetCanceled(cancellationToken);
        }
        else
        {
            _work.Add(item, CancellationToken.None);
        }

        return item.Result.Task;
    }

    public void Dispose()
    {
        _work.CompleteAdding();
        var stopped = _threads.All(t => t == Thread.CurrentThread || t.Join(TimeSpan.FromSeconds(5)));
        _done.CompleteAdding();
        stopped &= _relay == Thread.CurrentThread || _relay.Join(TimeSpan.FromSeconds(5));
        if (stopped && !_threads.Contains(Thread.CurrentThread) && _relay != Thread.CurrentThread)
        {
            // A thread that did not stop (or the one disposing) may still read the queues: they are left to the process.
            _work.Dispose();
            _done.Dispose();
        }
    }

    private void Work()
    {
        _lowered = LowerCurrentThread(Nice);
        foreach (var item in _work.GetConsumingEnumerable())
        {
            item.Execute();
            _done.Add(item);
        }
    }

    private void Relay()
    {
        foreach (var item in _done.GetConsumingEnumerable())
        {
            // Continuations run asynchronously: this only queues them, from a thread at normal priority.
            item.Complete();
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

    private abstract class WorkItem
    {
        public abstract void Execute();

        public abstract void Complete();
    }

    private sealed class WorkItem<T>(Func<CancellationToken, T> work, CancellationToken cancellationToken) : WorkItem
    {
        private T? _value;
        private Exception? _error;
        private bool _skipped;

        public TaskCompletionSource<T> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Execute()
        {
            if (cancellationToken.IsCancellationRequested)
            {
                _skipped = true;
                return;
            }

            try
            {
                _value = work(cancellationToken);
            }
            catch (Exception ex)
            {
                _error = ex;
            }
        }

        public override void Complete()
        {
            if (_skipped)
            {
                Result.TrySetCanceled(cancellationToken);
            }
            else if (_error is OperationCanceledException canceled)
            {
                Result.TrySetCanceled(canceled.CancellationToken);
            }
            else if (_error is not null)
            {
                Result.TrySetException(_error);
            }
            else
            {
                Result.TrySetResult(_value!);
            }
        }
    }
}
