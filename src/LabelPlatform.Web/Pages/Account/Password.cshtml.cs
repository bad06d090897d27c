using System.ComponentModel.DataAnnotations;
using LabelPlatform.Core.Identity;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace LabelPlatform.Web.Pages.Account;

/// <summary>
/// Any signed-in user changes their own password (it shows no data, so a user without a role may too). The current
/// password is required, and a wrong one counts towards the account's lockout like a failed sign-in, so a borrowed
/// session cannot guess it. The change rotates the security stamp: every other session ends on its next request;
/// this one is signed in again with the new stamp.
/// </summary>
public class PasswordModel(UserManager<PlatformUser> users, SignInManager<PlatformUser> signIn) : PageModel
{
    [BindProperty]
    public PasswordInput Input { get; set; } = new();

    public sealed class PasswordInput
    {
        [Required, DataType(DataType.Password), Display(Name = "Current password")]
        public string Current { get; set; } = "";

        [Required, DataType(DataType.Password), StringLength(200, MinimumLength = 10), Display(Name = "New password")]
        public string New { get; set; } = "";

        [Required, DataType(DataType.Password), Compare(nameof(New), ErrorMessage = "The two new passwords differ."), Display(Name = "New password again")]
        public string Again { get; set; } = "";
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

        if (await users.GetUserAsync(User) is not { } user)
        {
            return Challenge();
        }

        if (await users.IsLockedOutAsync(user) || !await users.CheckPasswordAsync(user, Input.Current))
        {
            if (!await users.IsLockedOutAsync(user))
            {
                await users.AccessFailedAsync(user);
            }

            ModelState.AddModelError("Input.Current", "The current password is wrong (after 5 wrong tries the account is locked for 15 minutes).");
            return Page();
        }

        var changed = await users.ChangePasswordAsync(user, Input.Current, Input.New);
        if (!changed.Succeeded)
        {
            foreach (var error in changed.Errors)
            {
                ModelState.AddModelError("Input.New", error.Description);
            }

            return Page();
        }

        await users.ResetAccessFailedCountAsync(user);
        // The stamp changed: this session would end too on its next request; it gets a cookie with the new stamp.
        await signIn.RefreshSignInAsync(user);
        TempData["Flash"] = "Password changed. Your other sessions are signed out.";
        return RedirectToPage();
    }
}
