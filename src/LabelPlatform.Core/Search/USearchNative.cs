using System.Runtime.InteropServices;
using Cloud.Unum.USearch;
using Microsoft.Win32.SafeHandles;

namespace LabelPlatform.Core.Search;

/// <summary>
/// Direct calls into libusearch_c, the native library the Cloud.Unum.USearch package ships. The package's managed
/// wrapper (2.26.6) cannot reserve capacity ahead (every Add past capacity re-reserves size + 1, so an index grown one
/// vector at a time reallocates on each add and cannot be filled from several threads safely), takes only arrays,
/// and cannot change expansion_search or the thread count, so this class declares the C functions it needs itself;
/// the option struct and the enums are the package's own.
/// </summary>
internal static class NativeMethods
{
    private const string Library = "libusearch_c";

    [DllImport(Library, EntryPoint = "usearch_init", CallingConvention = CallingConvention.Cdecl)]
    private static extern IntPtr Init(ref IndexOptions options, ref IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_free", CallingConvention = CallingConvention.Cdecl)]
    internal static extern void Free(IntPtr index, ref IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_reserve", CallingConvention = CallingConvention.Cdecl)]
    private static extern void Reserve(USearchHandle index, nuint capacity, ref IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_size", CallingConvention = CallingConvention.Cdecl)]
    private static extern nuint Size(USearchHandle index, ref IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_memory_usage", CallingConvention = CallingConvention.Cdecl)]
    private static extern nuint MemoryUsage(USearchHandle index, ref IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_change_expansion_search", CallingConvention = CallingConvention.Cdecl)]
    private static extern void ChangeExpansionSearch(USearchHandle index, nuint expansion, ref IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_change_threads_add", CallingConvention = CallingConvention.Cdecl)]
    private static extern void ChangeThreadsAdd(USearchHandle index, nuint threads, ref IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_change_threads_search", CallingConvention = CallingConvention.Cdecl)]
    private static extern void ChangeThreadsSearch(USearchHandle index, nuint threads, ref IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_add", CallingConvention = CallingConvention.Cdecl)]
    private static extern void Add(USearchHandle index, ulong key, ref readonly float vector, ScalarKind kind, ref IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_search", CallingConvention = CallingConvention.Cdecl)]
    private static extern nuint Search(USearchHandle index, ref readonly float query, ScalarKind kind, nuint count, ref ulong keys, ref float distances, ref IntPtr error);

    [DllImport(Library, EntryPoint = "usearch_hardware_acceleration", CallingConvention = CallingConvention.Cdecl)]
    private static extern IntPtr HardwareAcceleration(USearchHandle index, ref IntPtr error);

    internal static USearchHandle Create(IndexOptions options)
    {
        var error = IntPtr.Zero;
        var pointer = Init(ref options, ref error);
        if (error != IntPtr.Zero)
        {
            if (pointer != IntPtr.Zero)
            {
                var ignored = IntPtr.Zero;
                Free(pointer, ref ignored);
            }

            Throw(error);
        }

        return new USearchHandle(pointer);
    }

    internal static void Reserve(USearchHandle index, long capacity) => Check((ref e) => Reserve(index, (nuint)capacity, ref e));

    internal static long Size(USearchHandle index)
    {
        var error = IntPtr.Zero;
        var size = Size(index, ref error);
        Check(error);
        return (long)size;
    }

    internal static long MemoryUsage(USearchHandle index)
    {
        var error = IntPtr.Zero;
        var bytes = MemoryUsage(index, ref error);
        Check(error);
        return (long)bytes;
    }

    internal static void SetExpansionSearch(USearchHandle index, int expansion) => Check((ref e) => ChangeExpansionSearch(index, (nuint)expansion, ref e));

    internal static void SetThreads(USearchHandle index, int threads)
    {
        Check((ref e) => ChangeThreadsAdd(index, (nuint)threads, ref e));
        Check((ref e) => ChangeThreadsSearch(index, (nuint)threads, ref e));
    }

    internal static void Add(USearchHandle index, ulong key, ReadOnlySpan<float> vector)
    {
        var error = IntPtr.Zero;
        Add(index, key, in MemoryMarshal.GetReference(vector), ScalarKind.Float32, ref error);
        Check(error);
    }

    /// <returns>How many of keys/distances were filled, best first.</returns>
    internal static int Search(USearchHandle index, ReadOnlySpan<float> query, Span<ulong> keys, Span<float> distances)
    {
        var error = IntPtr.Zero;
        var found = Search(index, in MemoryMarshal.GetReference(query), ScalarKind.Float32, (nuint)keys.Length, ref MemoryMarshal.GetReference(keys), ref MemoryMarshal.GetReference(distances), ref error);
        Check(error);
        return (int)found;
    }

    internal static string HardwareAcceleration(USearchHandle index)
    {
        var error = IntPtr.Zero;
        var name = HardwareAcceleration(index, ref error);
        Check(error);
        return Marshal.PtrToStringUTF8(name) ?? "unknown";
    }

    private delegate void Call(ref IntPtr error);

    private static void Check(Call call)
    {
        var error = IntPtr.Zero;
        call(ref error);
        Check(error);
    }

    private static void Check(IntPtr error)
    {
        if (error != IntPtr.Zero)
        {
            Throw(error);
        }
    }

    // USearch errors are static C strings: read, never freed.
    private static void Throw(IntPtr error) => throw new USearchException(Marshal.PtrToStringUTF8(error) ?? "USearch failed without a message.");
}

/// <summary>Owns one native USearch index; the runtime holds a reference across each call, so Dispose cannot free it mid-call.</summary>
internal sealed class USearchHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public USearchHandle()
        : base(ownsHandle: true)
    {
    }

    internal USearchHandle(IntPtr pointer)
        : base(ownsHandle: true) => SetHandle(pointer);

    protected override bool ReleaseHandle()
    {
        var error = IntPtr.Zero;
        NativeMethods.Free(handle, ref error);
        return error == IntPtr.Zero;
    }
}
