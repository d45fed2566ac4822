/*
 * readme.c - the clear note of an encrypted package (see readme.h).
 * Kept to what a person needs before they have the password: no name, no
 * request number, nothing from the data.
 */
#include "package/readme.h"

#include <string.h>

/* UTF-8 with a BOM: older Notepads guess the encoding from it. */
static const char text[] =
    "\xEF\xBB\xBFLISEZMOI (English below)\r\n"
    "\r\n"
    "Ce fichier ZIP est la copie de vos données personnelles que vous avez "
    "demandée.\r\n"
    "Son contenu est chiffré (AES-256) : seul ce texte se lit sans mot de "
    "passe.\r\n"
    "\r\n"
    "Pour l'ouvrir :\r\n"
    "1. Utilisez 7-Zip (Windows, https://www.7-zip.org), Keka (macOS) ou, en "
    "ligne de commande, \"7z x FICHIER.zip\". L'explorateur de Windows et "
    "l'outil de base de macOS ne savent pas ouvrir ce chiffrement.\r\n"
    "2. Saisissez le mot de passe. Il vous a été transmis à part, par un "
    "autre moyen que ce fichier : il ne figure jamais dans le paquet ni dans "
    "le message qui l'accompagne.\r\n"
    "3. Ouvrez index.html dans un navigateur : il explique le contenu et "
    "comment vérifier que le paquet est authentique.\r\n"
    "\r\n"
    "Si vous n'avez rien demandé ou n'avez pas reçu de mot de passe, "
    "contactez le responsable du traitement qui vous a envoye ce "
    "fichier.\r\n"
    "\r\n"
    "README\r\n"
    "\r\n"
    "This ZIP file is the copy of your personal data that you asked for.\r\n"
    "Its content is encrypted (AES-256): only this text can be read without "
    "the password.\r\n"
    "\r\n"
    "To open it:\r\n"
    "1. Use 7-Zip (Windows, https://www.7-zip.org), Keka (macOS) or, on a "
    "command line, \"7z x FILE.zip\". Windows Explorer and macOS's built-in "
    "tool cannot open this encryption.\r\n"
    "2. Enter the password. It was sent to you separately, by another means "
    "than this file: it is never in the package nor in the message that "
    "comes with it.\r\n"
    "3. Open index.html in a web browser: it explains the content and how "
    "to check that the package is genuine.\r\n"
    "\r\n"
    "If you asked for nothing or received no password, contact the "
    "controller who sent you this file.\r\n";

const char *px_readme_text(size_t *len)
{
	*len = sizeof(text) - 1;
	return text;
}
