using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace LabelPlatform.E2E.Pages;

/// <summary>/Admin/Models: registered embedding models, built-ins on offer, and the register form.</summary>
public sealed class ModelsPage(IPage page)
{
    public const string Path = "/Admin/Models";

    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "Embedding models", Exact = true });
    public ILocator Flash => page.GetByRole(AriaRole.Status);
    public ILocator Errors => page.GetByRole(AriaRole.Alert);
    public ILocator Table => page.Locator("#models");

    /// <summary>The admin navigation's link here.</summary>
    public static ILocator NavLink(IPage page) =>
        page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Models", Exact = true });

    public ILocator Row(string name) => Table.Locator($"tr[data-model=\"{name}\"]");
    public ILocator Dimension(string name) => Row(name).Locator("[data-field=dimension]");
    public ILocator Version(string name) => Row(name).Locator("[data-field=version]");
    public ILocator BuiltIn(string name) => page.Locator($"#builtins [data-builtin=\"{name}\"]");
    public ILocator RegisterForm => page.Locator("#register-model");
    public ILocator Name => RegisterForm.GetByLabel("Name", new() { Exact = true });
    public ILocator Tensor => RegisterForm.GetByLabel("Embedding tensor");
    public ILocator ServerPath => RegisterForm.GetByLabel("ONNX file on the server");

    /// <summary>Fills name, tensor and server path and presses "Register from path" (one of the form's three submit buttons).</summary>
    public async Task RegisterFromPathAsync(string name, string tensor, string path)
    {
        await Name.FillAsync(name);
        await Tensor.FillAsync(tensor);
        await ServerPath.FillAsync(path);
        await RegisterForm.GetByRole(AriaRole.Button, new() { Name = "Register from path", Exact = true }).ClickAsync();
    }

    public async Task<ModelsPage> OpenFromNavAsync()
    {
        await new TopBar(page).OpenAdminMenuAsync(); // the admin pages sit in the Admin menu
        await NavLink(page).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(Regex.Escape(Path) + "$"));
        return this;
    }

    /// <summary>
    /// Presses the built-in's Register button. The registration runs in the request (the model is loaded and tried on
    /// a test image), so the page comes back with its flash only after that: <paramref name="timeoutMs"/> covers it.
    /// </summary>
    public async Task RegisterBuiltInAsync(string name, float timeoutMs)
    {
        await BuiltIn(name).GetByRole(AriaRole.Button, new() { Name = "Register", Exact = true }).ClickAsync(new() { Timeout = timeoutMs });
        await Assertions.Expect(Flash).ToContainTextAsync($"Registered {name} v", new() { Timeout = timeoutMs });
    }
}
