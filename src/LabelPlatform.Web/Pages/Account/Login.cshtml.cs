using System.ComponentModel.DataAnnotations;
using LabelPlatform.Web.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace LabelPlatform.Web.Pages.Account;

[EnableRateLimiting(SignInProtection.RateLimitPolicy)]
public class LoginModel(PasswordSignIn signIn) : PageModel
{
    [BindProperty]
    public LoginInput Input { get; set; } = new();

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public sealed class LoginInput
    {
        [Required, EmailAddress]
        public string Email { get; set; } = "";

        [Required, DataType(DataType.Password)]
        public string Password { get; set; } = "";

        public bool RememberMe { get; set; }
    }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }

        var outcome = await signIn.SignInAsync(Input.Email, Input.Password, Input.RememberMe, SignInProtection.ClientKey(HttpContext));
        if (outcome == SignInOutcome.SignedIn)
        {
            return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/");
        }

        // One answer for an unknown e-mail, a wrong password and a client that failed too often: none tells which
        // accounts exist.
        ModelState.AddModelError(string.Empty, outcome == SignInOutcome.Disabled
            ? "This account is disabled. Ask an admin."
            : "Wrong email or password, or too many failed sign-ins from here (wait 15 minutes or ask an admin).");
        return Page();
    }
}
