using System.ComponentModel.DataAnnotations;
using System.Globalization;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Embeddings;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Web.Pages.Admin.Models;

/// <summary>
/// The embedding model registry: registered models (latest version of each), built-ins not yet registered, and a
/// register form whose file comes from a server path, an upload or a URL. Registration runs in the request: the
/// registry's checks take a second or two, and a refusal is shown on the form with nothing stored.
/// </summary>
public class IndexModel(PlatformDbContext db, ModelRegistry registry, FloatVariants variants, InferenceHardware hardware, IOptions<EmbeddingOptions> options, IOptions<ImportOptions> import) : PageModel
{
    public List<EmbeddingModel> Models { get; private set; } = [];

    /// <summary>Float variants of quantized models, by the int8 model's id.</summary>
    public Dictionary<int, EmbeddingModel> Variants { get; private set; } = [];

    /// <summary>For each listed model, the row that search and embedding use on this machine.</summary>
    public Dictionary<int, int> InUse { get; private set; } = [];
    public InferenceHardware Hardware => hardware;
    public Dictionary<int, int> VectorCounts { get; private set; } = [];
    public List<string> BuiltIns { get; private set; } = [];
    public string DefaultModel => options.Value.DefaultModel;
    public long MaxModelMegabytes => options.Value.MaxModelBytes / (1024 * 1024);

    [BindProperty]
    public SettingsInput Settings { get; set; } = new();

    [BindProperty]
    public PathInput FromPath { get; set; } = new();

    [BindProperty]
    public UploadInput FromUpload { get; set; } = new();

    [BindProperty]
    public UrlInput FromUrl { get; set; } = new();

    /// <summary>How to read the model; shared by the three sources.</summary>
    public sealed class SettingsInput
    {
        [Required(ErrorMessage = "Give the model a name."), StringLength(100)]
        public string Name { get; set; } = "";

        [Required(ErrorMessage = "Name the tensor that holds the embedding."), StringLength(500)]
        public string Tensor { get; set; } = "";

        [Range(8, 2048, ErrorMessage = "The input size is 8 to 2048 pixels.")]
        public int InputSize { get; set; } = 224;

        public ResizeMode Resize { get; set; } = ResizeMode.Stretch;

        [Required(ErrorMessage = "Give the pixel scale, e.g. 1/255.")]
        public string Scale { get; set; } = "1/255";

        [Required(ErrorMessage = "Give three means, one per channel.")]
        public string Mean { get; set; } = "0.485, 0.456, 0.406";

        [Required(ErrorMessage = "Give three standard deviations, one per channel.")]
        public string Std { get; set; } = "0.229, 0.224, 0.225";

        public bool Bgr { get; set; }

        public bool Nhwc { get; set; }

        [RegularExpression("^#[0-9a-fA-F]{6}$", ErrorMessage = "The background is a colour of the form #RRGGBB.")]
        public string Background { get; set; } = Preprocessing.DefaultBackground;

        [Range(2, 1_000_000, ErrorMessage = "The expected dimension is 2 to 1,000,000.")]
        public int? ExpectedDimension { get; set; }
    }

    public sealed class PathInput
    {
        [Required(ErrorMessage = "Give the model file's path on the server.")]
        public string Path { get; set; } = "";
    }

    public sealed class UploadInput
    {
        [Required(ErrorMessage = "Choose an .onnx file to upload.")]
        public IFormFile? File { get; set; }
    }

    public sealed class UrlInput
    {
        [Required(ErrorMessage = "Give the model file's URL."), Url(ErrorMessage = "The URL must be an absolute http:// or https:// URL.")]
        public string Url { get; set; } = "";

        [RegularExpression("^[0-9a-fA-F]{64}$", ErrorMessage = "A SHA-256 pin is 64 hex digits.")]
        public string? Sha256 { get; set; }
    }

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostPathAsync(CancellationToken ct)
    {
        if (!Validate(FromPath, nameof(FromPath)) || Registration() is not { } registration)
        {
            return await PageAsync(ct);
        }

        var path = System.IO.Path.GetFullPath(FromPath.Path);
        if (!IsAllowed(path))
        {
            ModelState.AddModelError("FromPath.Path", $"'{FromPath.Path}' is outside the folders the server may read from (Import:AllowedFolders).");
            return await PageAsync(ct);
        }

        return await RegisterAsync(() => registry.RegisterFromPathAsync(registration with { Origin = path }, path, ct), ct);
    }

    public async Task<IActionResult> OnPostUploadAsync(CancellationToken ct)
    {
        if (!Validate(FromUpload, nameof(FromUpload)) || Registration() is not { } registration)
        {
            return await PageAsync(ct);
        }

        var file = FromUpload.File!;
        if (file.Length == 0)
        {
            ModelState.AddModelError("FromUpload.File", "The uploaded file is empty.");
            return await PageAsync(ct);
        }

        if (file.Length > options.Value.MaxModelBytes)
        {
            ModelState.AddModelError("FromUpload.File",
                $"The file is {file.Length / (1024.0 * 1024):N1} MB; models are capped at {options.Value.MaxModelBytes / (1024.0 * 1024):N1} MB (Embeddings:MaxModelBytes). Nothing was stored.");
            return await PageAsync(ct);
        }

        // The registry checks the bytes in memory anyway (it parses the graph and runs a test image).
        var bytes = new byte[file.Length];
        await using (var stream = file.OpenReadStream())
        {
            await stream.ReadExactlyAsync(bytes, ct);
        }

        var origin = $"upload: {System.IO.Path.GetFileName(file.FileName)}";
        return await RegisterAsync(() => registry.RegisterAsync(registration with { Origin = origin }, bytes, ct), ct);
    }

    public async Task<IActionResult> OnPostUrlAsync(CancellationToken ct)
    {
        if (!Validate(FromUrl, nameof(FromUrl)) || Registration() is not { } registration)
        {
            return await PageAsync(ct);
        }

        if (!Uri.TryCreate(FromUrl.Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            ModelState.AddModelError("FromUrl.Url", "The URL must be an absolute http:// or https:// URL.");
            return await PageAsync(ct);
        }

        var sha = string.IsNullOrWhiteSpace(FromUrl.Sha256) ? null : FromUrl.Sha256.Trim().ToLowerInvariant();
        return await RegisterAsync(() => registry.RegisterFromUrlAsync(registration with { Origin = uri.ToString() }, uri.ToString(), sha, ct), ct);
    }

    public async Task<IActionResult> OnPostBuiltInAsync(string? name, CancellationToken ct)
    {
        ModelState.Clear();
        if (name is null || !registry.AvailableBuiltIns().Contains(name, StringComparer.Ordinal))
        {
            ModelState.AddModelError(string.Empty, $"There is no built-in model named '{name}' here (available: {string.Join(", ", registry.AvailableBuiltIns())}).");
            return await PageAsync(ct);
        }

        return await RegisterAsync(async () => await registry.FindOrRegisterBuiltInAsync(name, ct)
            ?? throw new EmbeddingException($"the built-in model {name}'s file is missing"), ct);
    }

    /// <summary>An admin picks the path of a quantized model: auto (int8 only where it is exact), int8 or float.</summary>
    public async Task<IActionResult> OnPostChoosePathAsync(int modelId, string? choice, CancellationToken ct)
    {
        ModelState.Clear();
        try
        {
            await variants.SetChoiceAsync(modelId, choice ?? "", ct);
        }
        catch (EmbeddingException ex)
        {
            ModelState.AddModelError(string.Empty, $"Path not changed: {ex.Message}.");
            return await PageAsync(ct);
        }

        var model = await registry.EffectiveAsync((await registry.FindByIdAsync(modelId, ct))!, ct);
        TempData["Flash"] = $"Search and embedding now use {model.Label} here (choice: {choice}).";
        return RedirectToPage();
    }

    private async Task<IActionResult> RegisterAsync(Func<Task<EmbeddingModel>> register, CancellationToken ct)
    {
        var before = await db.EmbeddingModels.AsNoTracking().Select(m => m.Id).ToListAsync(ct);
        EmbeddingModel model;
        try
        {
            model = await register();
        }
        catch (EmbeddingException ex)
        {
            ModelState.AddModelError(string.Empty, $"Registration refused: {ex.Message}.");
            return await PageAsync(ct);
        }

        // The registry hands back the existing version when the file and settings are the same as the latest one.
        TempData["Flash"] = before.Contains(model.Id)
            ? $"{model.Name} v{model.Version} already has this file and these settings; nothing changed."
            : $"Registered {model.Name} v{model.Version}: {model.Dimension:N0}-d vectors from '{model.OutputName}'" +
              (model.DerivedFromTensor is null ? "" : $" (pooled from '{model.DerivedFromTensor}')") +
              (model.ExecutionPath != ExecutionPaths.Int8 ? "." : model.VariantProblem is null ? ", quantized: int8 and a float variant." : $", quantized: int8 only ({model.VariantProblem}).");
        return RedirectToPage();
    }

    /// <summary>The shared settings as a registration (origin filled in by the source), or null with form errors.</summary>
    private ModelRegistration? Registration()
    {
        var s = Settings;
        if (!Enum.IsDefined(s.Resize))
        {
            ModelState.AddModelError("Settings.Resize", "Resize is stretch or shorter side + centre crop.");
        }

        var scale = ParseScale(s.Scale);
        if (scale is null)
        {
            ModelState.AddModelError("Settings.Scale", $"Scale '{s.Scale}' is not a positive number or fraction (e.g. 1/255 or 0.5).");
        }

        var mean = ParseTriple(s.Mean);
        if (mean is null)
        {
            ModelState.AddModelError("Settings.Mean", $"Mean '{s.Mean}' is not three numbers separated by commas (e.g. 0.485, 0.456, 0.406).");
        }

        var std = ParseTriple(s.Std);
        if (std is null)
        {
            ModelState.AddModelError("Settings.Std", $"Std '{s.Std}' is not three numbers separated by commas (e.g. 0.229, 0.224, 0.225).");
        }

        if (!ModelState.IsValid)
        {
            return null;
        }

        return new ModelRegistration
        {
            Name = s.Name.Trim(),
            Tensor = s.Tensor.Trim(),
            ExpectedDimension = s.ExpectedDimension,
            Origin = "",
            CreatedBy = User.Identity?.Name,
            Preprocessing = new Preprocessing
            {
                Resize = s.Resize,
                InputWidth = s.InputSize,
                InputHeight = s.InputSize,
                Scale = scale!.Value,
                Mean = mean!,
                Std = std!,
                Channels = s.Bgr ? ChannelOrder.Bgr : ChannelOrder.Rgb,
                Layout = s.Nhwc ? TensorLayout.Nhwc : TensorLayout.Nchw,
                Background = s.Background.ToUpperInvariant(),
            },
        };
    }

    /// <summary>
    /// One form carries the settings and all three sources; only the settings and the source whose button was pressed
    /// are judged. Errors MVC already recorded for them (including values that did not convert, e.g. a non-numeric
    /// size) are kept; an input the request carried no field of was skipped by MVC, so it is validated here.
    /// </summary>
    private bool Validate(object source, string prefix)
    {
        string[] judged = [nameof(Settings), prefix];
        foreach (var key in ModelState.Keys.Where(k => !judged.Any(j => k.StartsWith(j + ".", StringComparison.Ordinal))).ToList())
        {
            ModelState.Remove(key);
        }

        foreach (var (input, name) in new[] { ((object)Settings, nameof(Settings)), (source, prefix) })
        {
            if (!ModelState.Keys.Any(k => k.StartsWith(name + ".", StringComparison.Ordinal)))
            {
                TryValidateModel(input, name);
            }
        }

        return ModelState.IsValid;
    }

    private bool IsAllowed(string fullPath)
    {
        var allowed = import.Value.AllowedFolders;
        return allowed.Count == 0 || allowed.Select(a => System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(a)))
            .Any(a => fullPath.StartsWith(a + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal));
    }

    /// <summary>One line per step of the preprocessing, for the table.</summary>
    public static IEnumerable<string> Describe(Preprocessing p)
    {
        var resize = p.Resize == ResizeMode.Stretch ? "stretched" : $"shorter side {(p.ResizeShorterSide > 0 ? p.ResizeShorterSide : (int)Math.Round(Math.Max(p.InputWidth, p.InputHeight) / 0.875))}, centre crop";
        yield return $"{p.InputWidth}×{p.InputHeight} {resize}";
        yield return $"{p.Channels.ToString().ToUpperInvariant()}, {p.Layout.ToString().ToUpperInvariant()}, ×{Number(p.Scale)}";
        yield return $"mean {string.Join(" / ", p.Mean.Select(Number))}";
        yield return $"std {string.Join(" / ", p.Std.Select(Number))}";
        yield return $"transparency on {p.Background ?? Preprocessing.DefaultBackground}";
    }

    /// <summary>A scale such as 0.003921569 reads better as the fraction it came from.</summary>
    private static string Number(float value)
    {
        if (value is > 0 and < 1 && Math.Abs(1 / value - Math.Round(1 / value)) < 1e-3)
        {
            return $"1/{Math.Round(1 / value).ToString(CultureInfo.InvariantCulture)}";
        }

        return value.ToString("0.###", CultureInfo.InvariantCulture);
    }

    internal static float? ParseScale(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var parts = text.Split('/', StringSplitOptions.TrimEntries);
        float value;
        if (parts.Length == 1 && TryParse(parts[0], out var plain))
        {
            value = plain;
        }
        else if (parts.Length == 2 && TryParse(parts[0], out var numerator) && TryParse(parts[1], out var denominator) && denominator != 0)
        {
            value = numerator / denominator;
        }
        else
        {
            return null;
        }

        return value > 0 && float.IsFinite(value) ? value : null;
    }

    internal static float[]? ParseTriple(string? text)
    {
        var parts = (text ?? "").Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = new float[3];
        if (parts.Length != 3)
        {
            return null;
        }

        for (var i = 0; i < 3; i++)
        {
            if (!TryParse(parts[i], out values[i]) || !float.IsFinite(values[i]))
            {
                return null;
            }
        }

        return values;
    }

    private static bool TryParse(string text, out float value) =>
        float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    private async Task<IActionResult> PageAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Models = await registry.ListLatestRegisteredAsync(ct);
        foreach (var model in Models)
        {
            InUse[model.Id] = (await registry.EffectiveAsync(model, ct)).Id;
        }

        var primaryIds = Models.Select(m => m.Id).ToList();
        Variants = await db.EmbeddingModels.AsNoTracking().Where(m => m.VariantOfId != null && primaryIds.Contains(m.VariantOfId.Value))
            .ToDictionaryAsync(m => m.VariantOfId!.Value, ct);
        // Rows inspected just now (from before paths were recorded) have their path and variant now.
        Models = await registry.ListLatestRegisteredAsync(ct);
        var ids = primaryIds.Concat(Variants.Values.Select(v => v.Id)).ToList();
        VectorCounts = await db.Embeddings.Where(e => ids.Contains(e.ModelId)).GroupBy(e => e.ModelId)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        BuiltIns = [.. registry.AvailableBuiltIns().Where(n => Models.All(m => m.Name != n))];
    }
}
