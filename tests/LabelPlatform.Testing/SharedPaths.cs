namespace LabelPlatform.Testing;

/// <summary>The read-only shared folder beside the repository (../shared): data and models are read there, never copied.</summary>
public static class SharedPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Root => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string Caltech => Path.Combine(Root, "datasets", "caltech101", "101_ObjectCategories");

    public static string MobileNetV2 => Path.Combine(Root, "models", "mobilenetv2", "mobilenetv2-12-int8.onnx");

    public static string MobileNetV2Embedding => Path.Combine(Root, "models", "mobilenetv2", "mobilenetv2-12-int8-embedding.onnx");

    private static string FindRepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "LabelPlatform.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Run the tests from inside the repository");
    }
}
