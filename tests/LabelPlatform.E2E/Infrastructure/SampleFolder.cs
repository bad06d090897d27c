namespace LabelPlatform.E2E.Infrastructure;

/// <summary>
/// A small folder-per-class tree for imports: a few real Caltech 101 JPEGs per class plus one file that only
/// pretends to be a JPEG, so the happy path also exercises a rejection. Deleted on dispose.
/// </summary>
public sealed class SampleFolder : IDisposable
{
    /// <summary>Overrides where Caltech 101's class folders are read from.</summary>
    public const string CaltechVariable = "CALTECH101_DIR";
    public const string DefaultCaltechRoot = "/work/shared/datasets/caltech101/101_ObjectCategories";

    public const string BrokenFileName = "bad.jpg";

    private SampleFolder(string root, IReadOnlyDictionary<string, int> classes, string brokenOrigin)
    {
        Root = root;
        Classes = classes;
        BrokenOrigin = brokenOrigin;
    }

    public string Root { get; }

    /// <summary>Class name → number of valid images copied into it.</summary>
    public IReadOnlyDictionary<string, int> Classes { get; }

    public int ImageCount => Classes.Values.Sum();

    /// <summary>How the import records the broken file: its path relative to the imported folder.</summary>
    public string BrokenOrigin { get; }

    public static SampleFolder Create(IReadOnlyList<string> classNames, int imagesPerClass)
    {
        var source = Environment.GetEnvironmentVariable(CaltechVariable) is { Length: > 0 } overridden ? overridden : DefaultCaltechRoot;
        var root = Path.Combine(Path.GetTempPath(), "labelplatform-e2e-import", Guid.NewGuid().ToString("N"));
        var classes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in classNames)
        {
            var from = Path.Combine(source, name);
            Assert.True(Directory.Exists(from), $"Caltech 101 class folder '{from}' is missing (set {CaltechVariable} to the 101_ObjectCategories folder)");
            var files = Directory.GetFiles(from, "*.jpg").Order(StringComparer.Ordinal).Take(imagesPerClass).ToList();
            Assert.True(files.Count == imagesPerClass, $"'{from}' has {files.Count} JPEGs, fewer than the {imagesPerClass} the test needs");
            var to = Directory.CreateDirectory(Path.Combine(root, name)).FullName;
            foreach (var file in files)
            {
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
            }

            classes[name] = files.Count;
        }

        // Named like an image, but text: the import must refuse it by content and say why.
        var brokenClass = classNames[^1];
        File.WriteAllText(Path.Combine(root, brokenClass, BrokenFileName), "this is not a JPEG\n");
        return new SampleFolder(root, classes, $"{brokenClass}/{BrokenFileName}");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
